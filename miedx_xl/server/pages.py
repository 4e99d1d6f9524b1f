"""The two pages (HTML, CSS and a little JavaScript, no outside files): 担当課 and 事務局."""

from __future__ import annotations

STYLE = """
body { font-family: "Yu Gothic UI", "Meiryo", "Noto Sans CJK JP", sans-serif; margin: 0;
  color: #222; background: #f5f6f8; }
header { background: #1f4e78; color: #fff; padding: 10px 20px; display: flex;
  align-items: center; gap: 16px; }
header h1 { font-size: 18px; margin: 0; flex: 1; }
header button { background: transparent; color: #fff; border: 1px solid #fff; }
main { padding: 16px 20px; max-width: 1100px; }
section { background: #fff; border: 1px solid #d0d5dd; border-radius: 6px; padding: 14px 18px;
  margin-bottom: 16px; }
h2 { font-size: 16px; margin: 0 0 10px; }
button { font: inherit; padding: 6px 14px; border-radius: 4px; border: 1px solid #1f4e78;
  background: #1f4e78; color: #fff; cursor: pointer; }
button:disabled { opacity: .4; cursor: default; }
input[type=text], input[type=password] { font: inherit; padding: 5px 8px; width: 22em; }
#drop { border: 2px dashed #8aa4c0; border-radius: 6px; padding: 28px; text-align: center;
  background: #f8fbff; }
#drop.over { background: #e3efff; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid #c9ced6; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #1f4e78; color: #fff; font-weight: normal; }
tr.error td.sev { color: #c00000; font-weight: bold; }
tr.warning td.sev { color: #9c5700; }
.msg { margin: 8px 0; padding: 8px 10px; border-radius: 4px; white-space: pre-wrap; }
.msg.ok { background: #e2f0d9; } .msg.bad { background: #fde2e2; } .msg.info { background: #eef; }
.state-提出済 { color: #2e7d32; font-weight: bold; } .state-要修正 { color: #c00000;
  font-weight: bold; } .state-未提出 { color: #777; }
.counts span { display: inline-block; margin-right: 18px; font-size: 15px; }
.hidden { display: none; }
"""

COMMON_JS = """
async function api(path, options) {
  const r = await fetch(path, Object.assign({credentials: 'same-origin'}, options || {}));
  let data = null;
  try { data = await r.json(); } catch (e) { data = {error: await r.text().catch(() => '')}; }
  if (!r.ok) { const e = new Error((data && data.error) || ('エラー ' + r.status));
    e.status = r.status; throw e; }
  return data;
}
function el(tag, text, cls) { const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text; if (cls) e.className = cls;
  return e; }
function show(id, on) { document.getElementById(id).classList.toggle('hidden', !on); }
function message(id, text, kind) { const m = document.getElementById(id);
  m.textContent = text; m.className = 'msg ' + kind; show(id, !!text); }
function when(iso) { if (!iso) return ''; const d = new Date(iso);
  return d.toLocaleString('ja-JP', {hour12: false}); }
async function logout() { await api('/api/logout', {method: 'POST'}); location.reload(); }
"""

DIVISION = f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>みえDX進捗 調査票の提出</title>
<style>{STYLE}</style></head><body>
<header><h1>みえDX進捗 調査票のチェックと提出 <span id="fy"></span></h1>
<span id="who"></span><button id="logout" class="hidden" onclick="logout()">ログアウト</button>
</header>
<main>
<section id="login" class="hidden">
  <h2>ログイン</h2>
  <p>事務局から配られた担当課のキーを入力してください。</p>
  <input type="text" id="key" placeholder="dk-..." autocomplete="off">
  <button id="login-button" onclick="login()">ログイン</button>
  <div id="login-msg" class="msg hidden"></div>
</section>
<div id="work" class="hidden">
<section>
  <h2>1. 調査票をチェックする</h2>
  <div id="drop">ここに調査票（.xlsx）をドラッグ＆ドロップ<br>または
    <input type="file" id="file" accept=".xlsx"></div>
  <div id="check-msg" class="msg hidden"></div>
  <div id="result" class="hidden">
    <p class="counts" id="counts"></p>
    <table id="findings"><thead><tr><th>重要度</th><th>シート</th><th>セル</th>
      <th>内容</th></tr></thead><tbody></tbody></table>
    <p><a id="marked" href="#">チェック結果を書き込んだファイルをダウンロード</a></p>
  </div>
</section>
<section>
  <h2>2. 提出する</h2>
  <p>チェックした調査票を事務局に提出します。同じ担当課が提出し直すと、新しいものが使われます。</p>
  <button id="submit" disabled onclick="submitForm()">提出</button>
  <div id="submit-msg" class="msg hidden"></div>
</section>
<section>
  <h2>提出の記録（この担当課の分）</h2>
  <table id="history"><thead><tr><th>受付日時</th><th>ファイル</th><th>状態</th>
    <th>エラー</th><th>警告</th><th>使用</th></tr></thead><tbody></tbody></table>
</section>
</div>
</main>
<script>
{COMMON_JS}
let current = null;
async function start() {{
  try {{ const me = await api('/api/me'); enter(me); }}
  catch (e) {{ show('login', true); }}
}}
function enter(me) {{
  if (me.role === 'secretariat') {{ location.href = '/admin'; return; }}
  document.getElementById('who').textContent = me.division;
  document.getElementById('fy').textContent = '（' + me.fy_ja + '）';
  show('login', false); show('work', true); show('logout', true); history();
}}
async function login() {{
  try {{ const me = await api('/api/login', {{method: 'POST',
      headers: {{'Content-Type': 'application/json'}},
      body: JSON.stringify({{key: document.getElementById('key').value}})}});
    enter(me); }}
  catch (e) {{ message('login-msg', e.message, 'bad'); }}
}}
async function checkFile(file) {{
  current = null; document.getElementById('submit').disabled = true;
  show('result', false); message('submit-msg', '', 'info');
  message('check-msg', file.name + ' をチェックしています…', 'info');
  const body = new FormData(); body.append('file', file);
  try {{
    const r = await api('/api/check', {{method: 'POST', body}});
    current = file;
    message('check-msg', r.valid
      ? (r.findings.length ? '提出できます。警告も確認してください。'
                           : '問題は見つかりませんでした。提出できます。')
      : 'エラーがあります。赤い欄を直してから提出してください。', r.valid ? 'ok' : 'bad');
    document.getElementById('counts').textContent = r.name + '：' + r.counts;
    const tbody = document.querySelector('#findings tbody'); tbody.innerHTML = '';
    for (const f of r.findings) {{
      const tr = el('tr', null, f.severity);
      tr.append(el('td', f.severity_ja, 'sev'), el('td', f.sheet || ''), el('td', f.cell || ''),
        el('td', f.message_ja)); tbody.append(tr); }}
    if (!r.findings.length) {{ const tr = el('tr'); const td = el('td', '指摘はありません。');
      td.colSpan = 4; tr.append(td); tbody.append(tr); }}
    document.getElementById('marked').href = r.marked;
    show('result', true); document.getElementById('submit').disabled = false;
  }} catch (e) {{ message('check-msg', e.message, 'bad'); }}
}}
async function submitForm() {{
  if (!current) return;
  const button = document.getElementById('submit'); button.disabled = true;
  const body = new FormData(); body.append('file', current);
  try {{ const r = await api('/api/submit', {{method: 'POST', body}});
    message('submit-msg', r.message + '\\n' + r.counts,
      r.submission.state === '提出済' ? 'ok' : 'bad'); history(); }}
  catch (e) {{ message('submit-msg', e.message, 'bad'); button.disabled = false; }}
}}
async function history() {{
  const rows = await api('/api/submissions');
  const tbody = document.querySelector('#history tbody'); tbody.innerHTML = '';
  for (const s of rows) {{ const tr = el('tr');
    tr.append(el('td', when(s.received_at)), el('td', s.name),
      el('td', s.state, 'state-' + s.state),
      el('td', s.errors), el('td', s.warnings), el('td', s.current ? '使用中' : '差し替え済'));
    tbody.append(tr); }}
}}
const drop = document.getElementById('drop');
drop.addEventListener('dragover', e => {{ e.preventDefault(); drop.classList.add('over'); }});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', e => {{ e.preventDefault(); drop.classList.remove('over');
  if (e.dataTransfer.files.length) checkFile(e.dataTransfer.files[0]); }});
document.getElementById('file').addEventListener('change', e => {{
  if (e.target.files.length) checkFile(e.target.files[0]); }});
document.getElementById('key').addEventListener('keydown', e => {{
  if (e.key === 'Enter') login(); }});
start();
</script></body></html>
"""

ADMIN = f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>みえDX進捗 事務局</title>
<style>{STYLE}</style></head><body>
<header><h1>みえDX進捗 事務局 <span id="fy"></span></h1>
<button id="logout" class="hidden" onclick="logout()">ログアウト</button></header>
<main>
<section id="login" class="hidden">
  <h2>事務局ログイン</h2>
  <input type="password" id="password" placeholder="パスワード">
  <button id="login-button" onclick="login()">ログイン</button>
  <div id="login-msg" class="msg hidden"></div>
</section>
<div id="work" class="hidden">
<section>
  <h2>提出状況 <small id="updated"></small></h2>
  <p class="counts" id="counts"></p>
  <table id="status"><thead><tr><th>担当課</th><th>状態</th><th>受付日時</th><th>ファイル</th>
    <th>エラー</th><th>警告</th><th>提出回数</th></tr></thead><tbody></tbody></table>
</section>
<section>
  <h2>取りまとめ</h2>
  <p>いま使われている提出（各担当課の最新）を取りまとめ、マスターブックを作ります。</p>
  <button id="consolidate" onclick="consolidate()">取りまとめ</button>
  <a id="master" class="hidden" href="/api/master">マスターブックをダウンロード</a>
  <div id="cons-msg" class="msg hidden"></div>
</section>
<section>
  <details><summary>担当課のキー（各担当課に配る）</summary>
  <table id="keys"><thead><tr><th>担当課</th><th>キー</th></tr></thead><tbody></tbody></table>
  </details>
</section>
</div>
</main>
<script>
{COMMON_JS}
let timer = null;
async function start() {{
  try {{ const me = await api('/api/me');
    if (me.role !== 'secretariat') throw new Error('not secretariat');
    enter(me); }}
  catch (e) {{ show('login', true); }}
}}
function enter(me) {{
  document.getElementById('fy').textContent = '（' + me.fy_ja + '）';
  show('login', false); show('work', true); show('logout', true);
  refresh(); keys(); timer = setInterval(refresh, 2000);
}}
async function login() {{
  try {{ const me = await api('/api/login', {{method: 'POST',
      headers: {{'Content-Type': 'application/json'}},
      body: JSON.stringify({{password: document.getElementById('password').value}})}});
    enter(me); }}
  catch (e) {{ message('login-msg', e.message, 'bad'); }}
}}
async function refresh() {{
  let data;
  try {{ data = await api('/api/status'); }} catch (e) {{ return; }}
  const c = data.counts;
  const counts = document.getElementById('counts'); counts.innerHTML = '';
  for (const [label, n] of [['提出済', c['提出済'] || 0], ['要修正', c['要修正'] || 0],
      ['未提出', c['未提出'] || 0], ['重複（差し替えあり）', data.duplicates]]) {{
    counts.append(el('span', label + ' ' + n)); }}
  const tbody = document.querySelector('#status tbody'); tbody.innerHTML = '';
  for (const r of data.rows) {{ const tr = el('tr');
    tr.append(el('td', r.division), el('td', r.state, 'state-' + r.state),
      el('td', when(r.received_at)),
      el('td', r.name || ''), el('td', r.errors ?? ''), el('td', r.warnings ?? ''),
      el('td', r.count ? r.count + (r.superseded ? '（重複 ' + r.superseded + '）' : '') : ''));
    tbody.append(tr); }}
  document.getElementById('updated').textContent = '更新 ' + new Date().toLocaleTimeString('ja-JP');
}}
async function consolidate() {{
  const b = document.getElementById('consolidate'); b.disabled = true;
  message('cons-msg', '取りまとめています…', 'info');
  try {{ const r = await api('/api/consolidate', {{method: 'POST'}});
    message('cons-msg', r.summary, 'ok'); show('master', true); }}
  catch (e) {{ message('cons-msg', e.message, 'bad'); }}
  b.disabled = false;
}}
async function keys() {{
  const rows = await api('/api/keys');
  const tbody = document.querySelector('#keys tbody'); tbody.innerHTML = '';
  for (const k of rows) {{ const tr = el('tr'); tr.append(el('td', k.division), el('td', k.key));
    tbody.append(tr); }}
}}
document.getElementById('password').addEventListener('keydown', e => {{
  if (e.key === 'Enter') login(); }});
start();
</script></body></html>
"""
