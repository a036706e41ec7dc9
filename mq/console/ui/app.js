// mqconsole UI: a hash-routed single page over the JSON API of mqconsole
// (mq/tools/mqconsole.cc). No framework, no build step. Every string from the
// server reaches the page as a text node (h() below), never as HTML.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const main = $('#main');
const statusEl = $('#status');
const tokenEl = $('#token');
const config = { writable: false, namesrv: '' };

// ---- DOM helpers

// h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', node, [more]) → element.
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat(Infinity)) if (c != null && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

// A table with a header row; fill() replaces the body. An empty body shows
// `empty` in the footer, so `tbody tr` always counts real rows.
function table(id, headers, empty = 'none') {
  const t = h('table', { id }, h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))), h('tbody'),
    h('tfoot', { hidden: true }, h('tr', null, h('td', { colspan: headers.length, class: 'muted' }, empty))));
  t.fill = (rows) => {
    t.tBodies[0].replaceChildren(...rows.map((r) => (r instanceof Node ? r : h('tr', null, r.map((c) => h('td', null, c))))));
    t.tFoot.hidden = rows.length > 0;
  };
  return t;
}

const link = (href, text) => h('a', { href }, text);
const enc = encodeURIComponent;
const section = (title, ...kids) => h('section', null, h('h3', null, title), kids);

// ---- formatting

function num(v, digits = 2) {
  if (v == null || v === '') return '-';
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}
function percent(v) {
  if (v == null || v === '') return '-';
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  return (n <= 1 ? n * 100 : n).toFixed(1) + '%'; // a ratio 0..1 (RocketMQ's commitLogDiskRatio)
}
const pad = (n, w = 2) => String(n).padStart(w, '0');
function localTime(ms, withMs = true) {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '-';
  const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${s}.${pad(d.getMilliseconds(), 3)}` : s;
}
// An ISO time from the server ("-" when unknown) in local time.
const isoTime = (iso) => (!iso || iso === '-' ? '-' : localTime(Date.parse(iso)));
// datetime-local input value <-> epoch ms.
const inputToMs = (v) => (v ? new Date(v).getTime() : NaN);
const msToInput = (ms) => {
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? '' : localTime(d.getTime(), false).replace(' ', 'T');
};
function hexLines(hex) {
  const out = [];
  for (let i = 0; i < hex.length; i += 64) out.push(hex.slice(i, i + 64)); // 32 bytes a line
  return out.join('\n');
}

// ---- status line and API calls

function setStatus(text, kind = 'info', source = 'action') {
  statusEl.textContent = text;
  statusEl.className = kind;
  statusEl.dataset.source = source;
  statusEl.hidden = !text;
}
const clearStatus = () => setStatus('');

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const opts = { method, headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    opts.headers['Content-Type'] = 'application/json';
    opts.headers['X-Admin-Token'] = tokenEl.value;
    opts.body = JSON.stringify(body || {});
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, `mqconsole is unreachable (${e.message})`);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : {}; } catch { /* not JSON */ }
  if (!res.ok) {
    let msg = (data && data.error) || text.trim() || res.statusText;
    if (res.status === 401) msg += ' — type the admin token in the header';
    if (res.status === 403) msg += ' — the console is read-only';
    throw new ApiError(res.status, `${msg} (HTTP ${res.status})`);
  }
  if (data == null) throw new ApiError(res.status, `bad JSON from ${path}`);
  return data;
}

const showError = (e, source = 'action') => setStatus(e.message || String(e), 'error', source);

// ---- routing: each page renders into #main; a newer route makes older
// async work (and the page's refresh timer) stop touching the page.

let routeGen = 0;
let timer = null;

function current(gen) { return gen === routeGen; }

// Runs load() now and every `ms` while this route is shown. A failed refresh
// shows its error until a later refresh succeeds.
function every(gen, ms, load) {
  const tick = async () => {
    if (!current(gen)) return;
    try {
      await load();
      if (current(gen) && statusEl.dataset.source === 'refresh') clearStatus();
    } catch (e) {
      if (current(gen)) showError(e, 'refresh');
    }
    if (current(gen)) timer = setTimeout(tick, ms);
  };
  tick();
}

const routes = {
  cluster: pageCluster,
  topics: pageTopics,
  topic: pageTopic,
  groups: pageGroups,
  group: pageGroup,
  messages: pageMessages,
  message: pageMessage,
};

function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const qi = raw.indexOf('?');
  const path = qi < 0 ? raw : raw.slice(0, qi);
  const query = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
  const slash = path.indexOf('/');
  let name = slash < 0 ? path : path.slice(0, slash);
  let arg = slash < 0 ? '' : path.slice(slash + 1);
  try { arg = decodeURIComponent(arg); } catch { /* keep it as typed */ }
  if (!routes[name]) name = 'cluster';
  const gen = ++routeGen;
  clearTimeout(timer);
  clearStatus();
  const navName = { topic: 'topics', group: 'groups', message: 'messages' }[name] || name;
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.id === `nav-${navName}`));
  main.replaceChildren();
  document.title = `mqconsole · ${arg || name}`;
  Promise.resolve(routes[name](gen, arg, query)).catch((e) => current(gen) && showError(e));
}

// ---- charts: msgs/s in (solid) and out (dashed) per series, 2D canvas.

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

// lines: [{label, color, dash, points: [[tsMs, value], ...]}]
function drawChart(canvas, lines, emptyNote) {
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth || 800, H = canvas.clientHeight || 260;
  canvas.width = W * dpr;
  canvas.height = H * dpr;
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  g.font = '12px system-ui, sans-serif';
  const L = 56, R = 12, T = 28, B = 34; // margins: axis labels left/bottom, legend on top
  const pts = lines.flatMap((l) => l.points);
  let t0 = Math.min(...pts.map((p) => p[0])), t1 = Math.max(...pts.map((p) => p[0]));
  if (!pts.length) { t1 = Date.now(); t0 = t1 - 5 * 60000; }
  if (t1 - t0 < 60000) t0 = t1 - 60000;
  const top = niceMax(Math.max(1, ...pts.map((p) => p[1])));
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => H - B - (Math.max(0, v) / top) * (H - T - B);
  // grid, y ticks
  g.strokeStyle = '#e5e7eb';
  g.fillStyle = '#6b7280';
  g.lineWidth = 1;
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    g.beginPath(); g.moveTo(L, y(v)); g.lineTo(W - R, y(v)); g.stroke();
    g.fillText(String(+v.toFixed(2)), L - 6, y(v));
  }
  // x ticks
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4, d = new Date(t);
    g.textAlign = i === 0 ? 'left' : i === 4 ? 'right' : 'center';
    g.fillText(`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`, x(t), H - B + 5);
  }
  // axes and their labels
  g.strokeStyle = '#9ca3af';
  g.textAlign = 'center';
  g.beginPath(); g.moveTo(L, T); g.lineTo(L, H - B); g.lineTo(W - R, H - B); g.stroke();
  g.fillText('time', (L + W - R) / 2, H - 14);
  g.save(); g.translate(13, (T + H - B) / 2); g.rotate(-Math.PI / 2); g.fillText('msgs/s', 0, -6); g.restore();
  // lines
  for (const l of lines) {
    g.strokeStyle = l.color;
    g.lineWidth = 2;
    g.setLineDash(l.dash ? [6, 4] : []);
    g.beginPath();
    l.points.forEach((p, i) => (i ? g.lineTo(x(p[0]), y(p[1])) : g.moveTo(x(p[0]), y(p[1]))));
    g.stroke();
    if (l.points.length === 1) { g.fillStyle = l.color; g.fillRect(x(l.points[0][0]) - 2, y(l.points[0][1]) - 2, 4, 4); }
  }
  g.setLineDash([]);
  // legend
  g.textAlign = 'left';
  g.textBaseline = 'middle';
  let lx = L;
  for (const l of lines) {
    g.strokeStyle = l.color;
    g.lineWidth = 2;
    g.setLineDash(l.dash ? [6, 4] : []);
    g.beginPath(); g.moveTo(lx, 12); g.lineTo(lx + 22, 12); g.stroke();
    g.setLineDash([]);
    g.fillStyle = '#111827';
    g.fillText(l.label, lx + 27, 12);
    lx += 37 + g.measureText(l.label).width;
  }
  if (!pts.length) {
    g.fillStyle = '#6b7280';
    g.textAlign = 'center';
    g.fillText(emptyNote, (L + W - R) / 2, (T + H - B) / 2);
  }
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v);
}

// series: {NAME: [[ts, in, out], ...]} → a solid "in" and dashed "out" line each.
function rateLines(series) {
  return Object.entries(series || {}).flatMap(([name, pts], i) => {
    const color = COLORS[i % COLORS.length];
    return [{ label: `${name} in`, color, points: pts.map((p) => [p[0], Number(p[1])]) },
      { label: `${name} out`, color, dash: true, points: pts.map((p) => [p[0], Number(p[2])]) }];
  });
}
const chartCanvas = (id) => h('canvas', { id, class: 'chart', role: 'img', 'aria-label': 'messages per second in and out' });
const emptyChart = (tp) => `no samples yet (one every ${(tp && tp.intervalSeconds) || 5} s)`;

// ---- Cluster

function pageCluster(gen) {
  const brokers = table('brokers', ['Cluster', 'Broker', 'ID', 'Role', 'Address', 'Version', 'TPS in', 'TPS out',
    'In today', 'Out today', 'Disk'], 'no brokers');
  const canvas = chartCanvas('chart-brokers');
  main.append(h('h2', null, 'Cluster'), brokers, section('Throughput (msgs/s, solid in, dashed out)', canvas));
  every(gen, 5000, async () => {
    const [c, tp] = await Promise.all([api('GET', '/api/cluster'), api('GET', '/api/throughput')]);
    if (!current(gen)) return;
    brokers.fill(c.brokers.map((b) => {
      const head = [b.cluster, b.brokerName, b.brokerId, b.error ? 'unreachable' : b.role, b.address];
      if (b.error) return h('tr', { class: 'down' }, head.map((x) => h('td', null, x)), h('td', { colspan: 6, class: 'error' }, b.error));
      return [...head, b.version || '-', num(b.putTps), num(b.getTps), num(b.inTotalToday), num(b.outTotalToday), percent(b.diskRatio)];
    }));
    drawChart(canvas, rateLines(tp.brokers), emptyChart(tp));
  });
}

// ---- Topics

function pageTopics(gen) {
  const showSystem = h('input', { type: 'checkbox', id: 'show-system' });
  const topics = table('topics', ['Topic', 'Kind'], 'no topics');
  const count = h('span', { class: 'muted' });
  let list = [];
  const render = () => {
    const shown = list.filter((t) => showSystem.checked || !t.system).sort((a, b) => a.name.localeCompare(b.name));
    topics.fill(shown.map((t) => [link(`#/topic/${enc(t.name)}`, t.name), t.system ? 'system' : '']));
    count.textContent = `${shown.length} of ${list.length}`;
  };
  showSystem.addEventListener('change', render);
  const load = async () => {
    const r = await api('GET', '/api/topics');
    if (!current(gen)) return;
    list = r.topics;
    render();
  };
  const field = (label, input) => h('label', null, label, input);
  const form = h('form', { id: 'create-topic', class: 'inline', hidden: !config.writable },
    field('Name', h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9_%\\|\\-]{1,127}', placeholder: 'TopicName' })),
    field('Cluster', h('input', { name: 'cluster', value: 'DefaultCluster' })),
    field('Read queues', h('input', { name: 'readQueueNums', type: 'number', min: 1, max: 1024, value: '8' })),
    field('Write queues', h('input', { name: 'writeQueueNums', type: 'number', min: 1, max: 1024, value: '8' })),
    field('Perm', h('input', { name: 'perm', type: 'number', min: 0, max: 7, value: '6' })),
    h('label', { class: 'check' }, h('input', { name: 'order', type: 'checkbox' }), 'Ordered'),
    h('button', { type: 'submit' }, 'Create / update'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const body = { name: f.name.value.trim(), cluster: f.cluster.value.trim() || 'DefaultCluster',
      readQueueNums: Number(f.readQueueNums.value), writeQueueNums: Number(f.writeQueueNums.value),
      perm: Number(f.perm.value), order: f.order.checked };
    try {
      const r = await api('POST', '/api/topics', body);
      setStatus(`topic ${r.topic} ${r.result}`, 'ok');
      await load();
    } catch (e) { showError(e); }
  });
  main.append(h('h2', null, 'Topics ', count),
    h('label', { class: 'check' }, showSystem, 'Show system topics'), topics,
    section('Create or update a topic', config.writable ? null : h('p', { class: 'muted' }, 'read-only console'), form));
  return load();
}

// ---- Topic

function pageTopic(gen, name) {
  const total = h('strong', { id: 'total-messages' }, '-');
  const routeT = table('route', ['Broker', 'Cluster', 'Addresses', 'Read queues', 'Write queues', 'Perm'], 'no route');
  const queues = table('queues', ['Broker', 'Queue', 'Min offset', 'Max offset', 'Messages', 'Last update'], 'no queues');
  const canvas = chartCanvas('chart-topic');
  main.append(h('h2', null, name), h('p', null, 'Messages stored: ', total),
    section('Route', routeT), section('Queues', queues), section('Throughput (msgs/s)', canvas),
    h('p', null, link(`#/messages?topic=${enc(name)}`, 'Messages of the last hour →')));
  every(gen, 5000, async () => {
    const [t, tp] = await Promise.all([api('GET', `/api/topics/${enc(name)}`), api('GET', '/api/throughput')]);
    if (!current(gen)) return;
    total.textContent = num(t.totalMessages);
    const addrs = (bn) => t.route.brokerDatas.filter((b) => b.brokerName === bn).map((b) => `${b.brokerId}: ${b.address}`).join(', ');
    routeT.fill(t.route.queueDatas.map((q) => {
      const cl = t.route.brokerDatas.find((b) => b.brokerName === q.brokerName);
      return [q.brokerName, cl ? cl.cluster : '-', addrs(q.brokerName) || '-', q.readQueueNums, q.writeQueueNums, q.perm];
    }));
    queues.fill(t.queues.map((q) => [q.brokerName, q.queueId, q.minOffset, q.maxOffset, q.messages, isoTime(q.lastUpdate)]));
    const series = tp.topics && tp.topics[name] ? { [name]: tp.topics[name] } : {};
    drawChart(canvas, rateLines(series), emptyChart(tp));
  });
}

// ---- Groups

async function pageGroups(gen) {
  const groups = table('groups', ['Group', 'Members', 'Total lag', 'Consume TPS'], 'no consumer groups');
  main.append(h('h2', null, 'Consumer groups'), groups);
  const r = await api('GET', '/api/groups');
  if (!current(gen)) return;
  groups.fill(r.groups.sort((a, b) => a.name.localeCompare(b.name))
    .map((g) => [link(`#/group/${enc(g.name)}`, g.name), num(g.members), num(g.totalLag), num(g.consumeTps)]));
}

// ---- Group

function pageGroup(gen, name) {
  const lag = h('strong', { id: 'total-lag' }, '-');
  const info = h('span', { class: 'muted' });
  const conns = table('connections', ['Client', 'Address', 'Language', 'Version'], 'no client connected');
  const subs = h('ul', { id: 'subscriptions' });
  const queues = table('group-queues', ['Topic', 'Broker', 'Queue', 'Broker offset', 'Consumer offset', 'Lag', 'Last time'], 'no offsets');
  const topicsList = h('datalist', { id: 'group-topics' });
  const offsets = table('reset-result', ['Broker', 'Queue', 'New offset'], 'nothing reset');
  offsets.hidden = true;
  const form = h('form', { id: 'reset-offset', class: 'inline', hidden: !config.writable },
    h('label', null, 'Topic', h('input', { name: 'topic', required: true, list: 'group-topics' })),
    h('label', null, 'To time', h('input', { name: 'time', type: 'datetime-local', step: 1, required: true, value: msToInput(Date.now() - 3600000) })),
    h('button', { type: 'submit' }, 'Reset offsets'), topicsList);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const topic = form.elements.topic.value.trim(), ts = inputToMs(form.elements.time.value);
    if (!Number.isFinite(ts)) return setStatus('give a time to reset to', 'error');
    if (!confirm(`Reset the offsets of ${name} on ${topic} to ${localTime(ts)}?`)) return;
    try {
      const r = await api('POST', `/api/groups/${enc(name)}/resetOffset`, { topic, timestamp: ts });
      setStatus(`${r.offsets.length} queue(s) of ${topic} reset for ${name}`, 'ok');
      offsets.fill(r.offsets.map((o) => [o.brokerName, o.queueId, o.offset]));
      offsets.hidden = false;
    } catch (e) { showError(e); }
  });
  main.append(h('h2', null, name), h('p', null, 'Total lag: ', lag, ' ', info),
    section('Connections', conns), section('Subscriptions', subs), section('Queues', queues),
    section('Reset offsets by time', config.writable ? null : h('p', { class: 'muted' }, 'read-only console'), form, offsets));
  every(gen, 3000, async () => {
    const g = await api('GET', `/api/groups/${enc(name)}`);
    if (!current(gen)) return;
    lag.textContent = g.totalLag == null ? '-' : String(g.totalLag);
    info.textContent = [g.consumeType, g.messageModel].filter(Boolean).join(', ');
    conns.fill(g.connections.map((c) => [c.clientId, c.clientAddr, c.language, c.version]));
    const s = Object.entries(g.subscriptions || {});
    subs.replaceChildren(...(s.length ? s.map(([t, e]) => h('li', null, link(`#/topic/${enc(t)}`, t), ': ', h('code', null, e)))
      : [h('li', { class: 'muted' }, 'none (no client connected)')]));
    queues.fill(g.queues.map((q) => h('tr', { class: q.lag > 0 ? 'lagging' : null },
      [link(`#/topic/${enc(q.topic)}`, q.topic), q.brokerName, q.queueId, q.brokerOffset, q.consumerOffset, q.lag, isoTime(q.lastTime)]
        .map((c) => h('td', null, c)))));
    const ts = [...new Set([...s.map(([t]) => t), ...g.queues.map((q) => q.topic)])];
    topicsList.replaceChildren(...ts.map((t) => h('option', { value: t })));
  });
}

// ---- Messages

const QUERY_FIELDS = ['topic', 'key', 'msgId', 'offsetMsgId', 'begin', 'end'];

function messageRows(tbl, msgs) {
  tbl.fill(msgs.map((m) => [m.msgId || '-', link(`#/message/${enc(m.offsetMsgId)}`, m.offsetMsgId), m.tags || '',
    m.keys || '', isoTime(m.storeTime), m.queueId, m.queueOffset]));
}

async function pageMessages(gen, _arg, query) {
  const input = (name, attrs) => h('label', null, attrs.label, h('input', { name, ...attrs, label: null }));
  const form = h('form', { id: 'query', class: 'inline' },
    input('topic', { label: 'Topic', placeholder: 'topic' }),
    input('key', { label: 'Key', placeholder: 'message key' }),
    input('msgId', { label: 'Message ID', placeholder: 'unique key' }),
    input('offsetMsgId', { label: 'Offset message ID', placeholder: 'no topic needed' }),
    input('begin', { label: 'From', type: 'datetime-local', step: 1 }),
    input('end', { label: 'To', type: 'datetime-local', step: 1 }),
    h('button', { type: 'submit' }, 'Search'));
  const results = table('messages', ['Message ID', 'Offset message ID', 'Tags', 'Keys', 'Store time', 'Queue', 'Offset'], 'no messages found');
  const note = h('p', { class: 'muted' }, 'Give a topic and a key, a message ID or a time range (default: the last hour), or just an offset message ID.');
  main.append(h('h2', null, 'Messages'), form, note, results);
  for (const f of QUERY_FIELDS) {
    const v = query.get(f);
    if (v) form.elements[f].value = f === 'begin' || f === 'end' ? msToInput(v) : v;
  }
  const run = async (q) => {
    if (![...q.keys()].length) return;
    note.textContent = 'searching…';
    const r = await api('GET', `/api/messages?${q}`);
    if (!current(gen)) return;
    messageRows(results, r.messages);
    note.textContent = `${r.messages.length} message(s)`;
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const f of QUERY_FIELDS) {
      const v = form.elements[f].value.trim();
      if (!v) continue;
      if (f === 'begin' || f === 'end') q.set(f, String(inputToMs(v)));
      else q.set(f, v);
    }
    if (!q.has('topic') && !q.has('offsetMsgId')) return setStatus('give a topic or an offset message ID', 'error');
    const hash = `#/messages?${q}`;
    if (location.hash === hash) { clearStatus(); run(q).catch((e) => current(gen) && showError(e)); } // same query: no hashchange
    else location.hash = hash; // keeps the query for reloads and links; the route runs it
  });
  await run(query);
}

// ---- Message

async function pageMessage(gen, id) {
  main.append(h('h2', null, 'Message ', h('code', null, id)));
  const r = await api('GET', `/api/message/${enc(id)}`);
  if (!current(gen)) return;
  const m = r.message;
  const info = table('message-info', ['Field', 'Value']);
  info.fill([['Topic', link(`#/topic/${enc(m.topic)}`, m.topic)], ['Queue', m.queueId], ['Queue offset', m.queueOffset],
    ['Message ID', m.msgId || '-'], ['Offset message ID', m.offsetMsgId], ['Tags', m.tags || '-'], ['Keys', m.keys || '-'],
    ['Stored', isoTime(m.storeTime)], ['Born', m.bornTimestamp ? localTime(m.bornTimestamp) : '-'],
    ['Reconsume times', m.reconsumeTimes], ['Body size', `${m.bodySize} bytes`]]);
  const props = table('properties', ['Property', 'Value'], 'no properties');
  props.fill(Object.entries(m.properties || {}).sort(([a], [b]) => a.localeCompare(b)));
  const body = h('pre', { id: 'message-body' });
  let mode = m.body == null ? 'hex' : 'text';
  const toggle = h('button', { id: 'body-mode', type: 'button' });
  const showBody = () => {
    body.textContent = mode === 'hex' ? hexLines(m.bodyHex || '') : m.body;
    body.className = mode;
    toggle.textContent = mode === 'hex' ? 'Show text' : 'Show hex';
    toggle.disabled = m.body == null; // binary: hex only
    toggle.title = m.body == null ? 'the body is binary' : '';
  };
  toggle.addEventListener('click', () => { mode = mode === 'hex' ? 'text' : 'hex'; showBody(); });
  showBody();
  const trace = table('trace', ['Stage', 'Detail'], 'no trace');
  trace.fill(r.trace.map((t) => h('tr', { class: `stage-${t.stage}` }, h('td', null, h('span', { class: 'stage' }, t.stage)),
    h('td', null, t.detail, t.offsetMsgId && t.offsetMsgId !== m.offsetMsgId ? [' ', link(`#/message/${enc(t.offsetMsgId)}`, 'open')] : null))));
  main.append(info, h('section', null, h('h3', null, 'Body', toggle), body), section('Trace', trace), section('Properties', props));
  if (m.topic.startsWith('%DLQ%')) {
    const group = m.topic.slice('%DLQ%'.length);
    const resend = h('button', { id: 'resend', type: 'button', disabled: !config.writable }, `Resend to ${group}`);
    resend.addEventListener('click', async () => {
      if (!confirm(`Resend this dead letter to group ${group}?`)) return;
      try {
        const res = await api('POST', '/api/dlq/resend', { group, offsetMsgId: m.offsetMsgId });
        setStatus(`resent ${res.resent} message(s) to ${group}`, 'ok');
      } catch (e) { showError(e); }
    });
    main.append(section('Dead letter', h('p', null, `This message went to the dead-letter queue of group ${group}. `), resend));
  }
}

// ---- start

tokenEl.value = localStorage.getItem('mqconsole.token') || '';
tokenEl.addEventListener('input', () => {
  if (tokenEl.value) localStorage.setItem('mqconsole.token', tokenEl.value);
  else localStorage.removeItem('mqconsole.token');
});
window.addEventListener('hashchange', route);

(async () => {
  let failed = null;
  try {
    Object.assign(config, await api('GET', '/api/config'));
  } catch (e) {
    failed = e;
  }
  $('#readonly').hidden = !!config.writable;
  $('#namesrv').textContent = config.namesrv ? `name server ${config.namesrv}` : '';
  route();
  if (failed) showError(failed);
})();
