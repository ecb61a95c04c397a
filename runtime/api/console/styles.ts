/** The console's stylesheet: plain CSS, inline (one request per page), colours that also carry words. */
export const CONSOLE_CSS = `
:root { --ok: #17803d; --warn: #a15c00; --bad: #b42318; --idle: #5d6673; --run: #1d5fbf; --line: #d8dde3;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; background: #f6f7f9; }
body { margin: 0; }
[hidden] { display: none !important; }
header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #1b1f24; color: #fff; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
header nav { flex: 1; display: flex; gap: .4rem; color: #aab3bf; }
header nav a { font-weight: 400; color: #dce3ea; }
.page { max-width: 78rem; margin: 0 auto; padding: 1rem 1.5rem; }
h1 { font-size: 1.4rem; margin: .4rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
a { color: var(--run); }
button { font: inherit; padding: .35rem .9rem; border: 1px solid #9aa4b0; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #eef1f4; }
button:disabled { opacity: .5; cursor: wait; }
header button { background: transparent; color: #fff; border-color: #5d6673; }
form.sign-in { display: flex; gap: .6rem; align-items: end; padding: 1rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; max-width: 36rem; }
form.sign-in label { display: flex; flex-direction: column; flex: 1; font-weight: 600; }
form.sign-in input { font: inherit; padding: .35rem .5rem; margin-top: .2rem; border: 1px solid #9aa4b0; border-radius: 4px; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .6rem 0; }
form.filters label { display: flex; flex-direction: column; font-weight: 600; font-size: .88rem; }
form.filters input { font: inherit; font-weight: 400; padding: .3rem .5rem; margin-top: .2rem; border: 1px solid #9aa4b0; border-radius: 4px; }
.message { padding: .6rem 1rem; border-radius: 6px; margin: 0 0 1rem; border: 1px solid; }
.message.error { color: var(--bad); background: #fdf0ef; }
.message.ok { color: var(--ok); background: #eef8f1; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
caption { text-align: left; caption-side: top; padding: .2rem 0; }
th, td code, .nowrap { white-space: nowrap; }
th { font-size: .85rem; color: #4b5563; background: #f0f2f5; }
table.narrow { width: auto; min-width: 20rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.rejected { color: var(--bad); }
.muted { color: #5d6673; font-size: .88rem; }
.word { display: inline-block; padding: .05rem .55rem; border-radius: 999px; font-weight: 600; font-size: .88rem; color: #fff; }
.word.healthy, .word.succeeded { background: var(--ok); }
.word.late, .word.partial { background: var(--warn); }
.word.failing, .word.failed { background: var(--bad); }
.word.paused { background: var(--idle); }
.word.running { background: var(--run); }
.counts { display: flex; flex-wrap: wrap; gap: .2rem .8rem; margin: 0; padding: 0; list-style: none; font-size: .88rem; }
.actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin: .6rem 0; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
.panel h2 { margin-top: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
.facts dt { color: #4b5563; }
.facts dd { margin: 0; }
.bar { width: 100%; height: 18px; display: block; margin: .5rem 0; background: #e6e9ed; border-radius: 4px; }
.chart { width: 100%; max-width: 36rem; height: 70px; display: block; border-bottom: 1px solid #9aa4b0; }
figure { margin: 0 0 1rem; }
figcaption { font-size: .85rem; color: #4b5563; }
svg .created, .legend .created::before { fill: #17803d; background: #17803d; }
svg .updated, .legend .updated::before { fill: #1d5fbf; background: #1d5fbf; }
svg .unchanged, .legend .unchanged::before { fill: #9aa4b0; background: #9aa4b0; }
svg .rejected, .legend .rejected::before { fill: #a15c00; background: #a15c00; }
svg .failed, .legend .failed::before { fill: #b42318; background: #b42318; }
svg .succeeded { fill: var(--ok); } svg .partial { fill: var(--warn); } svg .running { fill: var(--run); }
.legend li[class]::before { content: ""; display: inline-block; width: .7rem; height: .7rem; margin-right: .3rem; border-radius: 2px; }
`;
