/**
 * The console's only script, inline in every page: sign-in, loading and refreshing the page's data
 * fragment, the action buttons and downloads. The bearer token lives in sessionStorage (this tab
 * only, gone when it closes): never in a URL or a cookie. Errors are the API's `{"error":{"message"}}`, shown as text.
 */
export const CONSOLE_SCRIPT = `(() => {
  const KEY = "siesa-integration.token";
  const $ = (id) => document.getElementById(id);
  const main = $("content"), signIn = $("sign-in"), signOut = $("sign-out"), note = $("message");
  let timer, shown = "", refreshError = false;
  const token = () => sessionStorage.getItem(KEY);
  const say = (text, kind) => {
    note.textContent = text || "";
    note.className = kind === "ok" ? "message ok" : "message error";
    note.setAttribute("role", kind === "ok" ? "status" : "alert");
    note.hidden = !text;
  };
  // An action's or a download's answer: it stays until the next one, where a refresh that mends
  // clears only its own error.
  const tell = (text, kind) => {
    refreshError = false;
    say(text, kind);
  };
  const signedIn = (yes) => { signIn.hidden = yes; signOut.hidden = !yes; main.hidden = !yes; };
  const call = (path, init = {}) =>
    fetch(path, { ...init, cache: "no-store", headers: { ...init.headers, authorization: "Bearer " + token() } });
  const errorOf = async (response) => {
    const body = await response.json().catch(() => null);
    return (body && body.error && body.error.message) || "the API answered " + response.status;
  };
  // A control as a refresh finds it again among the new elements: its kind, target and words.
  const keyOf = (el) =>
    [el.tagName, el.dataset.action, el.dataset.body, el.dataset.download, el.getAttribute("href"), el.getAttribute("name"), el.textContent].join("|");
  // Buttons whose request is under way: disabled, also once a refresh has replaced them.
  const pending = new Set();
  const busy = (button, yes) => {
    const key = keyOf(button);
    if (yes) pending.add(key);
    else pending.delete(key);
    button.disabled = yes;
    for (const el of main.querySelectorAll("button")) if (keyOf(el) === key) el.disabled = yes;
  };
  // New data replaces the page's elements: the keyboard focus goes back to the control it was on.
  const show = (html) => {
    let focused = main.contains(document.activeElement) ? keyOf(document.activeElement) : undefined;
    main.innerHTML = shown = html;
    for (const el of main.querySelectorAll("a, button, input")) {
      if (el.tagName === "BUTTON" && pending.has(keyOf(el))) el.disabled = true;
      if (keyOf(el) === focused) {
        el.focus();
        focused = undefined;
      }
    }
  };
  const refused = (message) => {
    sessionStorage.removeItem(KEY);
    main.textContent = shown = "";
    signedIn(false);
    say("Token refused: " + message);
  };
  async function refresh() {
    clearTimeout(timer);
    if (!token()) return signedIn(false);
    signedIn(true);
    let again = true;
    try {
      const response = await call(main.dataset.fragment);
      if (response.status === 401) return refused(await errorOf(response));
      if (response.ok) {
        const html = await response.text();
        // Unchanged data leaves the page alone (and the keyboard focus where it is).
        if (html !== shown) show(html);
        if (refreshError) say("");
        refreshError = false;
        again = !main.querySelector("[data-final]");
      } else {
        // A 4xx (no such run, another tenant's page) will not mend itself: nothing to show. A 5xx
        // may, as the stage's throttle (429) does: the last data stays, with the message, and the
        // page tries again.
        const throttled = response.status === 429;
        again = response.status >= 500 || throttled;
        if (!again) main.textContent = shown = "";
        refreshError = true;
        say(throttled ? "The API is refusing requests for now (too many, 429): this page tries again by itself" : await errorOf(response));
      }
    } catch (error) {
      refreshError = true;
      say("The API did not answer (" + error.message + "): this page tries again by itself");
    }
    if (again) timer = setTimeout(refresh, Number(main.dataset.refresh));
  }
  signIn.addEventListener("submit", (event) => {
    event.preventDefault();
    const field = signIn.elements.token;
    sessionStorage.setItem(KEY, field.value.trim());
    field.value = "";
    say("");
    refresh();
  });
  signOut.addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    main.textContent = shown = "";
    say("");
    signedIn(false);
  });
  // An action's refusal in words that say what to do: the API's reason, and for a run under way, to
  // wait; an answer that is not the API's (a gateway's page) or none at all leaves unknown whether
  // the action took effect, which the page shows once reloaded.
  const actionRefusal = async (response) => {
    const body = await response.json().catch(() => null);
    const error = body && body.error;
    if (!error || !error.message)
      return "the API answered " + response.status + " without saying why: reload the page to see whether it took effect, then try again";
    return error.message + (error.details && error.details.activeRunId ? ": wait for it to end, then try again" : "");
  };
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    busy(button, true);
    try {
      const body = button.dataset.body;
      const response = await call(button.dataset.action, {
        method: "POST",
        ...(body ? { body, headers: { "content-type": "application/json" } } : {}),
      });
      if (response.status === 401) return refused(await errorOf(response));
      if (!response.ok) return tell(button.textContent + ": " + (await actionRefusal(response)));
      const answer = await response.json().catch(() => ({}));
      tell(button.dataset.done + (answer.runId ? ": run " + answer.runId : ""), "ok");
    } catch (error) {
      tell(button.textContent + ": the API did not answer (" + error.message + "): check the connection, then reload the page to see whether it took effect");
    } finally {
      busy(button, false);
    }
    refresh();
  });
  // The next page of a paged answer: its Link header's rel="next", if any.
  const nextOf = (response) => {
    const next = /<([^>]+)>;\\s*rel="next"/.exec(response.headers.get("link") || "");
    return next && next[1];
  };
  // A download (a run's exceptions as CSV) is fetched with the token a page at a time, following
  // each page's link to the next (one response deployed holds at most 6 MB), and saved from memory
  // as one file: the first page's header row, then every page's rows. A stock download is one run's
  // rows: a page from another run (X-Stock-Run) saves nothing, rather than a file mixing two runs.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-download]");
    if (!button) return;
    busy(button, true);
    try {
      const parts = [];
      let run;
      for (let path = button.dataset.download; path; ) {
        const response = await call(path, { headers: { accept: "text/csv" } });
        if (response.status === 401) return refused(await errorOf(response));
        // The page shows one run and never refreshes: the API's advice (ask without run) is not the console's.
        if (response.status === 409 && button.dataset.run)
          return tell(button.textContent + ": later stock runs replaced run " + button.dataset.run + ", the one shown: reload the page to see and download the latest");
        if (!response.ok)
          return tell(button.textContent + ": " + (await errorOf(response)) + ": nothing was saved" + (response.status >= 500 ? ", download again" : ""));
        const pageRun = response.headers.get("x-stock-run");
        if (parts.length === 0) run = pageRun;
        else if (pageRun !== run)
          return tell(button.textContent + ": a page came from stock run " + pageRun + ", the first from " + run + ": nothing was saved, download again");
        const text = await response.text();
        // The header row has no line break of its own: it ends at the first one.
        parts.push(parts.length === 0 ? text : text.slice(text.indexOf("\\r\\n") + 2));
        path = nextOf(response);
      }
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob(parts, { type: "text/csv;charset=utf-8" }));
      link.download = button.dataset.filename;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (error) {
      tell(button.textContent + ": the API did not answer (" + error.message + "): nothing was saved, download again");
    } finally {
      busy(button, false);
    }
  });
  // A filter form (the stock page's) reads the page's data again with its fields, kept in the
  // address too, so a reload or a link shows the same rows.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-filter]");
    if (!form) return;
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (String(value).trim()) query.set(name, String(value).trim());
    const search = query.toString() ? "?" + query : "";
    main.dataset.fragment = form.dataset.filter + search;
    history.replaceState(null, "", window.location.pathname + search);
    refresh();
  });
  refresh();
})();`;
