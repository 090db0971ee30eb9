/** The admin's stylesheet, served from /admin/static (no CDN, no build step). */
export const STYLE = `
:root { --ink: #1f2430; --muted: #6b7280; --line: #e5e7eb; --bg: #f6f7f9; --accent: #2557d6; --bad: #b42318; --good: #067647; --warn: #b54708; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: .7rem 1.5rem; background: #1f2a44; color: #fff; }
header.top .brand { font-weight: 600; color: #fff; }
header.top nav { display: flex; gap: 1rem; flex: 1; }
header.top nav a { color: #c9d4f0; }
header.top nav a.current { color: #fff; font-weight: 600; }
header.top form { margin: 0; }
header.top button { background: transparent; color: #c9d4f0; border: 1px solid #53608a; }
main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.45rem; margin: 0 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.1rem 1.25rem; margin-bottom: 1rem; }
.toolbar { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-bottom: 1rem; }
.toolbar label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); gap: .2rem; }
input[type=text], input[type=search], input[type=number], input[type=password], select, textarea {
  font: inherit; padding: .42rem .55rem; border: 1px solid #cfd4dc; border-radius: 6px; background: #fff; min-width: 12rem; }
textarea { min-height: 6rem; }
input:focus, select:focus, textarea:focus { outline: 2px solid #9db5f5; border-color: var(--accent); }
button, .button { font: inherit; padding: .42rem .9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; display: inline-block; }
.button.secondary, button.secondary { background: #fff; color: var(--accent); }
button.danger, .button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: .55rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f2f6; font-size: .82rem; text-transform: uppercase; letter-spacing: .03em; color: #4b5563; }
th a { color: inherit; }
tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td .null { color: var(--muted); }
td.changed { animation: flash 1.5s ease-out; }
@keyframes flash { from { background: #fff3b0; } to { background: transparent; } }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
.muted { color: var(--muted); }
.pager { display: flex; gap: .8rem; align-items: center; margin-top: .8rem; }
.notice { padding: .6rem .9rem; border-radius: 6px; margin-bottom: 1rem; background: #ecfdf3; color: var(--good); border: 1px solid #abefc6; }
.error-box { padding: .6rem .9rem; border-radius: 6px; margin-bottom: 1rem; background: #fef3f2; color: var(--bad); border: 1px solid #fecdca; }
.field { margin-bottom: 1rem; }
.field > label { display: block; font-weight: 600; margin-bottom: .25rem; }
.field .help { font-size: .82rem; color: var(--muted); }
.field.invalid input, .field.invalid textarea { border-color: var(--bad); }
.field .field-error { color: var(--bad); font-size: .88rem; margin-top: .25rem; }
.readonly-value { padding: .42rem 0; }
.actions { display: flex; gap: .6rem; margin-top: 1.2rem; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; border: 1px solid; }
.badge.synced { color: var(--good); border-color: #abefc6; background: #ecfdf3; }
.badge.pending { color: var(--warn); border-color: #fedf89; background: #fffaeb; }
.badge.failed { color: var(--bad); border-color: #fecdca; background: #fef3f2; }
.spacer { flex: 1; }
details.filters { align-self: end; }
details.filters summary { cursor: pointer; color: var(--accent); padding: .42rem 0; }
details.filters .filter-fields { display: flex; flex-wrap: wrap; gap: .6rem; margin-top: .4rem; }
.field input[type=text], .field input[type=password], .field textarea { width: 100%; max-width: 40rem; }
td.num, td.time, td a.mono { white-space: nowrap; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: 1rem; }
.grid .card h2 { font-size: 1.05rem; margin: 0 0 .3rem; }
`;
