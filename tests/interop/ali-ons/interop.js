'use strict';
// Interoperability test: the unmodified ali-ons (RocketMQ 4.x Node.js client) against our
// name server and broker. Run through run.sh, or by hand:
//
//   NAMESRV_ADDR=127.0.0.1:9876 BROKER_ADDR=127.0.0.1:10911 node interop.js
//
// Environment:
//   NAMESRV_ADDR   name server list, "host:port[;host:port...]" (required)
//   BROKER_ADDR    broker master address "host:port" (required; topics are created there)
//   ALI_ONS_LOG    file that receives the ali-ons client log (all levels); default: none
//   VERBOSE=1      also echo the client's warn/error log lines to stderr
//   INTEROP_TRACE=1  log every ali-ons request/reply header into ALI_ONS_LOG
//   INTEROP_N      messages for the clustering/tag checks (default 200)
//   INTEROP_BCAST_N messages for the broadcasting check (default 40)
//   INTEROP_TIMEOUT_S  overall hard timeout in seconds (default 120)
//   INTEROP_IDLE_S idle time before the second batch (default 17, > the 15 s pull suspend; 0 = skip)
//
// Output: one "PASS|FAIL|WARN|INFO <check>: detail" line per check, a final "RESULT: PASS|FAIL"
// line; exit code 0 when every required check passed, 1 otherwise, 2 on the hard timeout.

const net = require('net');
const fs = require('fs');
const util = require('util');
const { Producer, Consumer, Message } = require('ali-ons');

// ---------------------------------------------------------------------------------------------
// configuration

const NAMESRV = (process.env.NAMESRV_ADDR || '').split(';').map(s => s.trim()).filter(Boolean);
const BROKER_ADDR = process.env.BROKER_ADDR || '';
const N = Number(process.env.INTEROP_N || 200);
const BCAST_N = Number(process.env.INTEROP_BCAST_N || 40);
const HARD_TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_S || 120) * 1000;
const RECEIVE_TIMEOUT_MS = 60000;
const RETRY_WAIT_MS = 30000;
const IDLE_MS = Number(process.env.INTEROP_IDLE_S === undefined ? 17 : process.env.INTEROP_IDLE_S) * 1000;
const N2 = 20; // messages of the second batch, after the idle period
const VERBOSE = process.env.VERBOSE === '1';

if (!NAMESRV.length || !BROKER_ADDR) {
  console.error('usage: NAMESRV_ADDR=host:port BROKER_ADDR=host:port node interop.js');
  process.exit(2);
}

const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const TOPIC = `interop_ali_${RUN}`; // clustering + tag filter
const TOPIC_BCAST = `interop_ali_b_${RUN}`; // broadcasting
const TOPIC_RETRY = `interop_ali_r_${RUN}`; // consume failure -> retry
const GROUP_CLUSTER = `CID_interop_c_${RUN}`;
const GROUP_TAG = `CID_interop_tag_${RUN}`;
const GROUP_BCAST = `CID_interop_b_${RUN}`;
const GROUP_RETRY = `CID_interop_r_${RUN}`;
const PRODUCER_GROUP = `PID_interop_${RUN}`;
const TAGS = [ 'TagA', 'TagB', 'TagC' ];

// ---------------------------------------------------------------------------------------------
// result bookkeeping

const results = [];
const t0 = Date.now();
function elapsed() {
  return ((Date.now() - t0) / 1000).toFixed(1) + 's';
}
function report(status, name, detail, required = true) {
  results.push({ status, name, required });
  const line = `${status} ${name}${detail ? ': ' + detail : ''}  [${elapsed()}]`;
  console.log(line);
  clientLog('RESULT', line);
}
const pass = (name, detail) => report('PASS', name, detail, true);
const fail = (name, detail) => report('FAIL', name, detail, true);
const warn = (name, detail) => report('WARN', name, detail, false);
const info = (name, detail) => report('INFO', name, detail, false);
function check(cond, name, okDetail, badDetail) {
  if (cond) pass(name, okDetail);
  else fail(name, badDetail);
  return !!cond;
}

// ---------------------------------------------------------------------------------------------
// client logger (ali-ons logs through options.logger: info/warn/error/debug with printf formats)

const logStream = process.env.ALI_ONS_LOG ? fs.createWriteStream(process.env.ALI_ONS_LOG, { flags: 'a' }) : null;
const errorCounts = new Map();
function clientLog(level, ...args) {
  let text;
  try {
    text = util.format(...args.map(a => (a instanceof Error ? (a.stack || a.message) : a)));
  } catch (e) {
    text = String(args[0]);
  }
  if (logStream) logStream.write(`${new Date().toISOString()} ${level} ${text}\n`);
  if (level === 'WARN' || level === 'ERROR') {
    // remember distinct client errors (first line, numbers stripped) for the summary
    let key = text.split('\n')[0].split(RUN).join('<run>').replace(/\d{4,}/g, '#').replace(/queueId: \d+/g, 'queueId: #')
      .slice(0, 240);
    if (/code=22\b/.test(key) && key.includes('READ_FROM_STORE')) {
      key = '(expected) QUERY_CONSUMER_OFFSET -> 22 QUERY_NOT_FOUND for a new group; ali-ons emits it as an error';
    }
    errorCounts.set(key, (errorCounts.get(key) || 0) + 1);
    if (VERBOSE) console.error(`[ali-ons ${level}] ${text.split('\n')[0]}`);
  }
}
const logger = {
  info: (...a) => clientLog('INFO', ...a),
  warn: (...a) => clientLog('WARN', ...a),
  error: (...a) => clientLog('ERROR', ...a),
  debug: () => {},
};

// INTEROP_TRACE=1: log every request ali-ons sends and every reply it gets (header only, body length)
// into ALI_ONS_LOG, by wrapping its Channel class (the package files stay untouched)
if (process.env.INTEROP_TRACE === '1') {
  const Channel = require('ali-ons/lib/channel');
  const brief = cmd => JSON.stringify({ code: cmd.code, opaque: cmd.opaque, flag: cmd.flag, remark: cmd.remark,
    extFields: cmd.extFields, body: cmd.body ? cmd.body.length : 0 });
  const origInvoke = Channel.prototype.invoke;
  Channel.prototype.invoke = function(command, timeout) {
    const t = Date.now();
    const addr = this.address;
    return origInvoke.call(this, command, timeout).then(res => {
      clientLog('TRACE', `${addr} ${Date.now() - t}ms req ${brief(command)}${command.code === 34 ? ' hb ' + command.body : ''} -> resp ${brief(res)}`);
      return res;
    }, err => {
      clientLog('TRACE', `${addr} ${Date.now() - t}ms req ${brief(command)} -> ${err.name}: ${err.message}`);
      throw err;
    });
  };
  const origOneway = Channel.prototype.invokeOneway;
  Channel.prototype.invokeOneway = function(command) {
    const p = origOneway.call(this, command); // extFields are filled in while encoding
    clientLog('TRACE', `${this.address} oneway req ${brief(command)}`);
    return p;
  };
}

// ---------------------------------------------------------------------------------------------
// raw remoting (JSON header) for what ali-ons cannot do itself

let rawOpaque = 1;
function rawInvoke(addr, code, extFields, timeoutMs = 5000) {
  const [ host, port ] = addr.split(':');
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), host);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(val);
    };
    const timer = setTimeout(() => finish(new Error(`no response to code ${code} from ${addr} in ${timeoutMs} ms`)), timeoutMs);
    const opaque = rawOpaque++;
    sock.on('connect', () => {
      const header = Buffer.from(JSON.stringify({ code, language: 'JAVA', version: 409, opaque, flag: 0, extFields }));
      const pre = Buffer.alloc(8);
      pre.writeInt32BE(4 + header.length, 0);
      pre.writeInt32BE(header.length, 4); // top byte 0 = JSON
      sock.write(Buffer.concat([ pre, header ]));
    });
    sock.on('data', d => {
      buf = Buffer.concat([ buf, d ]);
      if (buf.length < 4) return;
      const total = buf.readInt32BE(0);
      if (buf.length < 4 + total) return;
      const serType = buf.readUInt8(4);
      const headerLen = buf.readInt32BE(4) & 0xffffff;
      if (serType !== 0) return finish(new Error(`response serialize type ${serType} (expected 0 = JSON)`));
      let header;
      try {
        header = JSON.parse(buf.slice(8, 8 + headerLen).toString());
      } catch (e) {
        return finish(new Error(`bad JSON response header: ${e.message}`));
      }
      if (header.opaque !== opaque) return finish(new Error(`response opaque ${header.opaque} != request ${opaque}`));
      finish(null, { header, body: buf.slice(8 + headerLen, 4 + total) });
    });
    sock.on('error', err => finish(err));
    sock.on('close', () => finish(new Error(`connection to ${addr} closed before a response to code ${code}`)));
  });
}

async function createTopic(topic) {
  const res = await rawInvoke(BROKER_ADDR, 17, {
    topic,
    defaultTopic: 'TBW102',
    readQueueNums: '4',
    writeQueueNums: '4',
    perm: '6',
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: '0',
    order: 'false',
  });
  return res.header;
}

async function waitRoute(topic, maxMs = 10000) {
  const deadline = Date.now() + maxMs;
  let last = 'no reply';
  while (Date.now() < deadline) {
    for (const ns of NAMESRV) {
      try {
        const res = await rawInvoke(ns, 105, { topic }, 3000);
        if (res.header.code === 0) {
          const body = res.body.toString();
          if (!body.includes(BROKER_ADDR)) {
            last = `code 0 but the route does not name ${BROKER_ADDR}: ${body.slice(0, 300)}`;
          } else {
            return { ok: true, body };
          }
        } else {
          last = `code ${res.header.code} ${res.header.remark || ''}`;
        }
      } catch (e) {
        last = e.message;
      }
    }
    await sleep(250);
  }
  return { ok: false, last };
}

// ---------------------------------------------------------------------------------------------
// helpers

const sleep = ms => new Promise(r => setTimeout(r, ms));
async function waitFor(pred, maxMs, stepMs = 200) {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await sleep(stepMs);
  }
  return !!pred();
}
function withTimeout(p, ms, what) {
  return Promise.race([ p, sleep(ms).then(() => { throw new Error(`${what} timed out after ${ms} ms`); }) ]);
}
// ali-ons requires an httpclient even when nameSrv is given; it is only used to fetch the name
// server list from the Aliyun address server (onsAddr), which nameSrv disables.
const httpclient = {
  async request(url) {
    throw new Error(`ali-ons tried to fetch ${url}; nameSrv should have disabled that`);
  },
};

const commonOptions = {
  httpclient,
  nameSrv: NAMESRV,
  logger,
  clientIP: '127.0.0.1',
  // faster convergence than the 30 s / 10 s defaults; these are ordinary public options
  pollNameServerInteval: 5000,
  heartbeatBrokerInterval: 10000,
  rebalanceInterval: 2000,
  persistConsumerOffsetInterval: 2000,
};

function onClientError(name) {
  return err => clientLog('ERROR', `[${name}] ${err && err.name || 'Error'}${err && err.code !== undefined ? ` code=${err.code}` : ''}:`,
    err && err.message || String(err), '\n', err && err.stack || '');
}

// every consumer has its own instanceName: ali-ons shares one MQClient per clientId
// (clientIP@instanceName), and one MQClient holds one consumer per group only.
function makeConsumer(name, group, extra) {
  const c = new Consumer(Object.assign({}, commonOptions, {
    consumerGroup: group,
    instanceName: `interop_${name}`,
  }, extra || {}));
  c.on('error', onClientError(name));
  c.interopName = name;
  return c;
}

function queuesOf(consumer, topic) {
  const out = [];
  for (const { messageQueue } of consumer.processQueueTable.values()) {
    if (messageQueue.topic === topic) out.push(messageQueue.queueId);
  }
  return out.sort();
}

// record what the broker returned to each consumer's pulls (to see server-side tag filtering)
function tapPulls(consumer, sink) {
  const client = consumer._mqClient;
  const orig = client.pullMessage.bind(client);
  client.pullMessage = async (addr, header, timeout) => {
    const r = await orig(addr, header, timeout);
    for (const m of r.msgFoundList) sink.push({ topic: m.topic, tags: m.tags, group: header.consumerGroup });
    return r;
  };
}

// ---------------------------------------------------------------------------------------------
// the test

const state = {
  sent: new Map(), // seq -> {msgId, queueId, queueOffset, tag}
  sent2: new Map(), // second batch (after the idle period): seq -> {at, tag}
  cluster: new Map(), // seq -> [member names]
  clusterMsgs: new Map(), // seq -> first received message summary
  tag: new Map(), // seq -> count
  tagGotC: [],
  bcastSent: new Set(),
  bcast: { b1: new Map(), b2: new Map() },
  retry: { firstSeenAt: 0, deliveries: [], sendBack: [] },
  serverRequests: new Map(), // 'code N (oneway)' -> count
  pulledByTagGroup: [],
  badBodies: [],
};

// every 50th message (seq % 50 == 7) carries 6000 bytes of padding: ali-ons zlib-compresses bodies
// of 4 KiB or more and sets sysFlag bit 0 (COMPRESSED); the broker must keep that flag
const isBig = seq => seq % 50 === 7;
const PAD = 'x'.repeat(6000);
function makeBody(seq) {
  return `interop ${RUN} ${seq}${isBig(seq) ? ' ' + PAD : ''}`;
}
function parseBody(msg, checkPadding = false) {
  const s = msg.body ? msg.body.toString() : '';
  const m = /^interop (\S+) (\d+)( x+)?$/.exec(s);
  if (!m || m[1] !== RUN) return null;
  const seq = Number(m[2]);
  if (checkPadding && (isBig(seq) !== !!m[3] || (m[3] && m[3].length !== PAD.length + 1))) state.badBodies.push(`seq ${seq}: body length ${s.length}`);
  return seq;
}

async function main() {
  console.log(`ali-ons interop: namesrv=${NAMESRV.join(';')} broker=${BROKER_ADDR} run=${RUN} N=${N}`);

  // 1. topics: created with a raw UPDATE_AND_CREATE_TOPIC, then wait for the name server route
  for (const topic of [ TOPIC, TOPIC_BCAST, TOPIC_RETRY ]) {
    let header;
    try {
      header = await createTopic(topic);
    } catch (e) {
      fail(`create topic ${topic}`, e.message);
      return;
    }
    if (!check(header.code === 0, `create topic ${topic} (UPDATE_AND_CREATE_TOPIC)`, 'code 0',
      `code ${header.code} remark ${header.remark}`)) return;
  }
  for (const topic of [ TOPIC, TOPIC_BCAST, TOPIC_RETRY ]) {
    const t = Date.now();
    const r = await waitRoute(topic);
    if (!check(r.ok, `name server route for ${topic}`, `after ${Date.now() - t} ms`, `not available after 10 s: ${r.last}`)) return;
  }

  // 2. producer and consumers
  const producer = new Producer(Object.assign({}, commonOptions, {
    producerGroup: PRODUCER_GROUP,
    instanceName: 'interop_producer',
  }));
  producer.on('error', onClientError('producer'));
  try {
    await withTimeout(producer.ready(), 15000, 'producer start');
    pass('producer start');
  } catch (e) {
    fail('producer start', e.message);
    return;
  }

  const c1 = makeConsumer('c1', GROUP_CLUSTER);
  const c2 = makeConsumer('c2', GROUP_CLUSTER);
  const t1 = makeConsumer('t1', GROUP_TAG);
  const b1 = makeConsumer('b1', GROUP_BCAST, { isBroadcast: true });
  const b2 = makeConsumer('b2', GROUP_BCAST, { isBroadcast: true });
  const r1 = makeConsumer('r1', GROUP_RETRY);
  const consumers = [ c1, c2, t1, b1, b2, r1 ];
  tapPulls(t1, state.pulledByTagGroup);
  // requests the broker sends to clients (NOTIFY_CONSUMER_IDS_CHANGED = 40, ...): ali-ons never answers them
  for (const c of consumers) {
    c._mqClient.on('request', entity => {
      const cmd = entity && entity.data;
      const k = `code ${cmd && cmd.code}${cmd && cmd.isOnewayRPC ? ' (oneway)' : ' (NOT oneway)'}`;
      state.serverRequests.set(k, (state.serverRequests.get(k) || 0) + 1);
    });
  }
  // record how CONSUMER_SEND_MSG_BACK (36) went: ali-ons falls back to sending the message itself
  {
    const client = r1._mqClient;
    const orig = client.consumerSendMessageBack.bind(client);
    client.consumerSendMessageBack = async (...a) => {
      try {
        const r = await orig(...a);
        state.retry.sendBack.push('code 0');
        return r;
      } catch (e) {
        state.retry.sendBack.push(`code ${e.code} ${e.message}`);
        throw e;
      }
    };
  }

  for (const c of [ c1, c2 ]) {
    c.subscribe(TOPIC, '*', async msg => {
      const seq = parseBody(msg, true);
      if (seq === null) {
        state.badBodies.push(`unparsable body: ${msg.body && msg.body.toString().slice(0, 60)} (sysFlag ${msg.sysFlag})`);
        return;
      }
      if (!state.cluster.has(seq)) state.cluster.set(seq, []);
      if (state.sent2.has(seq) && !state.sent2.get(seq).gotAt) state.sent2.get(seq).gotAt = Date.now();
      state.cluster.get(seq).push(c.interopName);
      if (!state.clusterMsgs.has(seq)) {
        state.clusterMsgs.set(seq, {
          msgId: msg.msgId, tags: msg.tags, keys: msg.keys, topic: msg.topic,
          queueId: msg.queueId, queueOffset: msg.queueOffset, storeHost: msg.storeHost,
          reconsumeTimes: msg.reconsumeTimes, sysFlag: msg.sysFlag,
        });
      }
    });
  }
  t1.subscribe(TOPIC, 'TagA || TagB', async msg => {
    const seq = parseBody(msg);
    if (seq === null) return;
    state.tag.set(seq, (state.tag.get(seq) || 0) + 1);
    if (msg.tags === 'TagC') state.tagGotC.push(seq);
  });
  for (const [ name, c ] of [ [ 'b1', b1 ], [ 'b2', b2 ] ]) {
    c.subscribe(TOPIC_BCAST, '*', async msg => {
      const seq = parseBody(msg);
      if (seq === null) return;
      const m = state.bcast[name];
      m.set(seq, (m.get(seq) || 0) + 1);
    });
  }
  r1.subscribe(TOPIC_RETRY, '*', async msg => {
    const seq = parseBody(msg);
    if (seq === null) return;
    const first = !state.retry.firstSeenAt;
    state.retry.deliveries.push({
      at: Date.now(), reconsumeTimes: msg.reconsumeTimes, topic: msg.topic,
      retryTopicProp: msg.properties && msg.properties.RETRY_TOPIC,
      originMsgId: msg.properties && msg.properties.ORIGIN_MESSAGE_ID,
      msgId: msg.msgId,
    });
    if (first) {
      state.retry.firstSeenAt = Date.now();
      throw new Error('interop: intentional consume failure (first delivery)');
    }
  });

  try {
    await withTimeout(Promise.all(consumers.map(c => c.ready())), 20000, 'consumer start');
    pass('consumers start', `${consumers.length} push consumers (clustering x2, tag filter, broadcasting x2, retry)`);
  } catch (e) {
    fail('consumers start', e.message);
    return;
  }

  // wait until the queues are split: c1 and c2 disjoint and together all 4 queues; t1/b1/b2/r1 all 4
  const settled = () => {
    const q1 = queuesOf(c1, TOPIC);
    const q2 = queuesOf(c2, TOPIC);
    const union = new Set([ ...q1, ...q2 ]);
    return q1.length > 0 && q2.length > 0 && union.size === 4 && q1.length + q2.length === 4 &&
      queuesOf(t1, TOPIC).length === 4 && queuesOf(b1, TOPIC_BCAST).length === 4 &&
      queuesOf(b2, TOPIC_BCAST).length === 4 && queuesOf(r1, TOPIC_RETRY).length === 4;
  };
  const rebalanced = await waitFor(settled, 20000);
  const qdesc = () => `c1=${JSON.stringify(queuesOf(c1, TOPIC))} c2=${JSON.stringify(queuesOf(c2, TOPIC))} ` +
    `t1=${queuesOf(t1, TOPIC).length} b1=${queuesOf(b1, TOPIC_BCAST).length} b2=${queuesOf(b2, TOPIC_BCAST).length} ` +
    `r1=${queuesOf(r1, TOPIC_RETRY).length}`;
  check(rebalanced, 'rebalance (queues assigned, start offsets known)', qdesc(), `not settled after 20 s: ${qdesc()}`);
  // give the fresh pull loops a moment to reach the broker's long-poll
  await sleep(1000);

  // 3. produce N messages to TOPIC, 1 to TOPIC_RETRY
  let sendFailures = 0;
  const sendErrors = new Map();
  const tProduce = Date.now();
  for (let i = 0; i < N; i++) {
    const tag = TAGS[i % 3];
    const msg = new Message(TOPIC, tag, makeBody(i));
    msg.keys = [ `key-${RUN}-${i}` ];
    try {
      const r = await producer.send(msg);
      const ok = r && r.sendStatus === 'SEND_OK' && typeof r.msgId === 'string' && r.msgId.length > 0 &&
        Number.isFinite(r.queueOffset) && r.queueOffset >= 0 && r.messageQueue &&
        Number.isFinite(Number(r.messageQueue.queueId));
      if (!ok) {
        sendFailures++;
        const k = `bad send result: ${JSON.stringify(r)}`;
        sendErrors.set(k, (sendErrors.get(k) || 0) + 1);
      } else {
        state.sent.set(i, { msgId: r.msgId, queueId: Number(r.messageQueue.queueId), queueOffset: r.queueOffset, tag });
      }
    } catch (e) {
      sendFailures++;
      const k = `${e.name} code=${e.code}: ${e.message}`.replace(/\d{6,}/g, '#');
      sendErrors.set(k, (sendErrors.get(k) || 0) + 1);
    }
    // bound the phase: each failing send may take sendMsgTimeout (3 s) x retries
    if (sendFailures >= 10 && sendFailures > state.sent.size) {
      sendErrors.set(`stopped after ${i + 1} of ${N} attempts`, 1);
      break;
    }
    if (Date.now() - tProduce > 30000) {
      sendFailures += N - 1 - i;
      sendErrors.set('produce phase stopped after 30 s', N - 1 - i);
      break;
    }
  }
  const produceMs = Date.now() - tProduce;
  check(sendFailures === 0, `produce ${N} messages (SEND_MESSAGE_V2)`,
    `all SEND_OK with msgId and queueOffset, ${produceMs} ms`,
    `${sendFailures} failures: ${[ ...sendErrors ].map(([ k, v ]) => `${v}x ${k}`).join(' | ')}`);
  if (state.sent.size) {
    const ids = new Set([ ...state.sent.values() ].map(s => s.msgId));
    const slots = new Set([ ...state.sent.values() ].map(s => `${s.queueId}/${s.queueOffset}`));
    const perQueue = {};
    for (const s of state.sent.values()) perQueue[s.queueId] = (perQueue[s.queueId] || 0) + 1;
    check(ids.size === state.sent.size && slots.size === state.sent.size, 'send results unique (msgId, queueId/queueOffset)',
      `messages per queue ${JSON.stringify(perQueue)}`,
      `${state.sent.size} sends, ${ids.size} distinct msgIds, ${slots.size} distinct queue/offset pairs`);
  }

  let retrySent = false;
  try {
    const r = await producer.send(new Message(TOPIC_RETRY, 'TagR', `interop ${RUN} 0`));
    retrySent = r && r.sendStatus === 'SEND_OK';
  } catch (e) {
    info('retry test message send', `failed: ${e.message}`);
  }

  // broadcasting: BCAST_N messages, both members must receive all of them
  let bcastFailures = 0;
  for (let i = 0; i < BCAST_N; i++) {
    try {
      const r = await producer.send(new Message(TOPIC_BCAST, 'TagB', `interop ${RUN} ${i}`));
      if (r && r.sendStatus === 'SEND_OK') state.bcastSent.add(i);
      else bcastFailures++;
    } catch (e) {
      bcastFailures++;
      if (bcastFailures >= 5) break;
    }
  }
  check(bcastFailures === 0, `produce ${BCAST_N} messages to the broadcasting topic`, 'all SEND_OK', `${bcastFailures} failures`);

  // 4. wait for the deliveries
  const tagExpected = [ ...state.sent.entries() ].filter(([ , s ]) => s.tag !== 'TagC').map(([ seq ]) => seq);
  const allDelivered = () =>
    [ ...state.sent.keys() ].every(seq => state.cluster.has(seq)) &&
    tagExpected.every(seq => state.tag.has(seq)) &&
    [ ...state.bcastSent ].every(seq => state.bcast.b1.has(seq) && state.bcast.b2.has(seq));
  const tWait = Date.now();
  const delivered = await waitFor(allDelivered, RECEIVE_TIMEOUT_MS, 250);
  const deliverMs = Date.now() - tWait;
  await sleep(2000); // let duplicates / stray TagC deliveries show up

  // clustering
  const missing = [ ...state.sent.keys() ].filter(seq => !state.cluster.has(seq));
  const dups = [ ...state.cluster.entries() ].filter(([ , who ]) => who.length > 1);
  const perMember = { c1: 0, c2: 0 };
  for (const who of state.cluster.values()) for (const w of who) perMember[w]++;
  check(state.sent.size > 0 && missing.length === 0, 'clustering: every message consumed by the group',
    `${state.sent.size} of ${state.sent.size} within ${deliverMs} ms${delivered ? '' : ' (some other wait timed out)'}`,
    `${missing.length} of ${state.sent.size} missing after ${(RECEIVE_TIMEOUT_MS / 1000)} s, e.g. seq ${missing.slice(0, 10).join(',')}` +
    (missing.length ? ` (sent to queue/offset ${missing.slice(0, 5).map(s => `${state.sent.get(s).queueId}/${state.sent.get(s).queueOffset}`).join(',')})` : ''));
  if (dups.length) warn('clustering: duplicates', `${dups.length} messages delivered more than once, e.g. seq ${dups.slice(0, 5).map(([ s, w ]) => `${s}:${w.join('+')}`).join(' ')}`);
  else pass('clustering: no duplicates');
  check(perMember.c1 > 0 && perMember.c2 > 0, 'clustering: both group members consumed (queues split)',
    `c1=${perMember.c1} c2=${perMember.c2}`, `c1=${perMember.c1} c2=${perMember.c2}`);
  {
    const big = [ ...state.clusterMsgs.entries() ].filter(([ seq ]) => isBig(seq));
    const bigBad = big.filter(([ , m ]) => !(m.sysFlag & 1));
    check(state.badBodies.length === 0 && big.length > 0 && bigBad.length === 0,
      'message bodies intact, incl. zlib-compressed ones (>= 4 KiB, sysFlag bit 0)',
      `${state.clusterMsgs.size} bodies, ${big.length} compressed`,
      `${state.badBodies.length} bad bodies (${state.badBodies.slice(0, 3).join('; ')}); ${big.length} big messages received, ` +
      `${bigBad.length} without the COMPRESSED sysFlag`);
  }

  // consume progress: ali-ons commits it with UPDATE_CONSUMER_OFFSET (every persistConsumerOffsetInterval)
  // and piggybacks it on pulls; a raw QUERY_CONSUMER_OFFSET must then return the per-queue message count
  if (state.sent.size && missing.length === 0) {
    const want = {};
    for (const sent of state.sent.values()) want[sent.queueId] = Math.max(want[sent.queueId] || 0, sent.queueOffset + 1);
    let have = {};
    const offsetsOk = async () => {
      have = {};
      for (const qid of Object.keys(want)) {
        try {
          const r = await rawInvoke(BROKER_ADDR, 14, { topic: TOPIC, consumerGroup: GROUP_CLUSTER, queueId: String(qid) }, 3000);
          have[qid] = r.header.code === 0 ? Number(r.header.extFields && r.header.extFields.offset) : `code ${r.header.code}`;
        } catch (e) {
          have[qid] = e.message;
        }
      }
      return Object.keys(want).every(q => have[q] === want[q]);
    };
    const deadline = Date.now() + 10000;
    let ok = await offsetsOk();
    while (!ok && Date.now() < deadline) {
      await sleep(500);
      ok = await offsetsOk();
    }
    check(ok, 'committed consumer offsets (UPDATE_CONSUMER_OFFSET, read back with QUERY_CONSUMER_OFFSET)',
      JSON.stringify(have), `want ${JSON.stringify(want)}, broker has ${JSON.stringify(have)} after 10 s`);
  }

  // message fields as decoded by ali-ons vs. the send results
  {
    const problems = [];
    for (const [ seq, got ] of state.clusterMsgs) {
      const s = state.sent.get(seq);
      if (!s) continue;
      if (got.tags !== s.tag) problems.push(`seq ${seq} tags ${got.tags} != ${s.tag}`);
      if (got.keys !== `key-${RUN}-${seq}`) problems.push(`seq ${seq} keys ${JSON.stringify(got.keys)}`);
      if (got.topic !== TOPIC) problems.push(`seq ${seq} topic ${got.topic}`);
      if (got.queueId !== s.queueId || got.queueOffset !== s.queueOffset) {
        problems.push(`seq ${seq} queue/offset ${got.queueId}/${got.queueOffset} != sent ${s.queueId}/${s.queueOffset}`);
      }
      if (got.storeHost !== BROKER_ADDR) problems.push(`seq ${seq} storeHost ${got.storeHost} != ${BROKER_ADDR}`);
    }
    if (state.clusterMsgs.size) {
      check(problems.length === 0, 'consumed message fields (tags, keys, topic, queueId, queueOffset, storeHost)',
        `${state.clusterMsgs.size} messages checked`, `${problems.length} problems: ${problems.slice(0, 5).join('; ')}`);
      // ali-ons sets no UNIQ_KEY: the send reply's msgId must be the offsetMsgId, which the consumer
      // computes from STOREHOST + PHYSICALOFFSET of the record
      const idMismatch = [];
      for (const [ seq, got ] of state.clusterMsgs) {
        const s = state.sent.get(seq);
        if (s && s.msgId !== got.msgId) idMismatch.push(`seq ${seq}: send ${s.msgId} consume ${got.msgId}`);
      }
      check(idMismatch.length === 0, 'msgId from send == msgId computed by the consumer (storeHost+commitLogOffset)',
        `${state.clusterMsgs.size} messages`, `${idMismatch.length} differ, e.g. ${idMismatch.slice(0, 3).join('; ')}`);
    }
  }

  // tag filter
  {
    const tagMissing = tagExpected.filter(seq => !state.tag.has(seq));
    const tagDups = [ ...state.tag.values() ].filter(n => n > 1).length;
    const tagC = [ ...state.tag.keys() ].filter(seq => state.sent.get(seq) && state.sent.get(seq).tag === 'TagC');
    check(tagExpected.length > 0 && tagMissing.length === 0 && tagC.length === 0 && state.tagGotC.length === 0,
      'tag filter "TagA || TagB": got exactly the TagA/TagB messages',
      `${tagExpected.length} received, no TagC`,
      `${tagMissing.length} of ${tagExpected.length} TagA/TagB missing (e.g. ${tagMissing.slice(0, 5).join(',')}), ${tagC.length} TagC received`);
    if (tagDups) warn('tag filter: duplicates', `${tagDups} messages delivered more than once`);
    // ali-ons filters by tag again on the client; this shows whether the broker filtered
    const pulledC = state.pulledByTagGroup.filter(p => p.topic === TOPIC && p.tags === 'TagC').length;
    const pulledAll = state.pulledByTagGroup.filter(p => p.topic === TOPIC).length;
    if (pulledC === 0) info('tag filter on the broker', `pull replies to the tag group held ${pulledAll} messages, no TagC`);
    else warn('tag filter on the broker', `pull replies to the tag group held ${pulledC} TagC messages of ${pulledAll} (the client dropped them; a Java broker filters by tag hash)`);
  }

  // broadcasting
  for (const name of [ 'b1', 'b2' ]) {
    const m = state.bcast[name];
    const miss = [ ...state.bcastSent ].filter(seq => !m.has(seq));
    const d = [ ...m.values() ].filter(n => n > 1).length;
    check(state.bcastSent.size > 0 && miss.length === 0, `broadcasting: ${name} received every message`,
      `${m.size} of ${state.bcastSent.size}${d ? `, ${d} duplicates` : ''}`,
      `${miss.length} of ${state.bcastSent.size} missing${d ? `, ${d} duplicates` : ''}`);
  }

  // 5. idle longer than the 15 s pull suspend, so every held pull expires (PULL_NOT_FOUND with
  //    nextBeginOffset) and heartbeats / route polls / rebalances run a few times; then a second batch
  //    must be consumed too, and quickly if the broker wakes held pulls when messages arrive
  let c2Closed = false;
  if (IDLE_MS > 0 && state.sent.size) {
    const consumedBefore = [ ...state.cluster.values() ].reduce((n, w) => n + w.length, 0);
    const tIdle = Date.now();
    // c2 leaves the group (persists its offsets, UNREGISTER_CLIENT); c1 must take over its queues
    // from the committed offsets at its next rebalance (GET_CONSUMER_LIST_BY_GROUP, QUERY_CONSUMER_OFFSET)
    try {
      await withTimeout(c2.close(), 8000, 'c2 close');
      c2Closed = true;
    } catch (e) {
      warn('c2 close', e.message);
    }
    if (c2Closed) {
      const took = await waitFor(() => queuesOf(c1, TOPIC).length === 4, 10000);
      check(took, 'clustering: after c2 closed (UNREGISTER_CLIENT), c1 took over all 4 queues',
        `after ${Date.now() - tIdle} ms`, `c1 has ${JSON.stringify(queuesOf(c1, TOPIC))} after 10 s`);
    }
    await sleep(Math.max(0, IDLE_MS - (Date.now() - tIdle)));
    const consumedIdle = [ ...state.cluster.values() ].reduce((n, w) => n + w.length, 0) - consumedBefore;
    let fails2 = 0;
    for (let k = 0; k < N2; k++) {
      const seq = N + k;
      const tag = TAGS[seq % 3];
      const m = new Message(TOPIC, tag, makeBody(seq));
      m.keys = [ `key-${RUN}-${seq}` ];
      const at = Date.now();
      try {
        const r = await producer.send(m);
        if (r && r.sendStatus === 'SEND_OK') state.sent2.set(seq, { at, tag });
        else fails2++;
      } catch (e) {
        fails2++;
      }
      await sleep(50);
    }
    const tagWant2 = [ ...state.sent2.entries() ].filter(([ , v ]) => v.tag !== 'TagC').map(([ seq ]) => seq);
    await waitFor(() => [ ...state.sent2.keys() ].every(seq => state.cluster.has(seq)) &&
      tagWant2.every(seq => state.tag.has(seq)), 20000, 100);
    const miss2 = [ ...state.sent2.keys() ].filter(seq => !state.cluster.has(seq));
    const tagMiss2 = tagWant2.filter(seq => !state.tag.has(seq));
    const byC2 = [ ...state.sent2.keys() ].filter(seq => (state.cluster.get(seq) || []).includes('c2')).length;
    check(fails2 === 0 && miss2.length === 0 && tagMiss2.length === 0 && (!c2Closed || byC2 === 0),
      `after ${IDLE_MS / 1000} s idle (held pulls expire), a second batch of ${N2} is consumed`,
      `clustering ${state.sent2.size}/${state.sent2.size}${c2Closed ? ' (all by c1)' : ''}, tag group ${tagWant2.length}/${tagWant2.length}`,
      `${fails2} send failures, clustering missing ${miss2.length}${byC2 ? `, ${byC2} consumed by the closed c2` : ''}, ` +
      `tag group missing ${tagMiss2.length}`);
    if (consumedIdle) {
      warn('clustering: redelivery during the take-over / idle period', `${consumedIdle} deliveries of first-batch messages ` +
        '(c1 did not resume from the committed offsets of c2\'s queues?)');
    } else {
      pass('clustering: no redelivery of the first batch after the take-over');
    }
    const lat = [ ...state.sent2.values() ].filter(v => v.gotAt).map(v => v.gotAt - v.at).sort((a, b) => a - b);
    if (lat.length) {
      const med = lat[Math.floor(lat.length / 2)];
      const max = lat[lat.length - 1];
      const d = `send-to-handler latency median ${med} ms, max ${max} ms`;
      if (max > 5000) warn('held pulls woken by new messages', `${d} (held pulls seem to be answered only when they expire)`);
      else info('held pulls woken by new messages', d);
    }
  }

  // 6. retry (optional: reported, never fails the test)
  if (retrySent) {
    await waitFor(() => state.retry.deliveries.length >= 2, Math.max(0, RETRY_WAIT_MS - (Date.now() - (state.retry.firstSeenAt || Date.now()))), 250);
    const d = state.retry.deliveries;
    if (d.length === 0) {
      info('RETRY', 'the retry test message was never delivered');
    } else if (d.length === 1) {
      info('RETRY', `not supported: no redelivery within ${RETRY_WAIT_MS / 1000} s after the handler threw`);
    } else {
      const second = d[1];
      const viaBroker = !!second.retryTopicProp || (second.msgId !== d[0].msgId);
      const after = ((second.at - d[0].at) / 1000).toFixed(1);
      const sb = state.retry.sendBack.length ? state.retry.sendBack.join(', ') : 'not called';
      const sendBackOk = state.retry.sendBack[0] === 'code 0';
      const how = `after ${after} s, reconsumeTimes=${second.reconsumeTimes}, RETRY_TOPIC=${second.retryTopicProp}, ` +
        `ORIGIN_MESSAGE_ID=${second.originMsgId === d[0].msgId ? 'original msgId' : second.originMsgId}`;
      if (viaBroker && sendBackOk) {
        info('RETRY', `PASS: CONSUMER_SEND_MSG_BACK accepted, redelivered from %RETRY% ${how}`);
      } else if (viaBroker) {
        info('RETRY', `CONSUMER_SEND_MSG_BACK not supported (${sb}); redelivered only through ali-ons' fallback ` +
          `(it re-sent the message to %RETRY%<group> itself, producer group CLIENT_INNER_PRODUCER) ${how}`);
      } else {
        info('RETRY', `not supported by the broker: ali-ons retried locally after ${after} s (CONSUMER_SEND_MSG_BACK: ${sb}; ` +
          'the fallback send to %RETRY% failed too; see client errors below)');
      }
    }
  }

  info('broker -> client requests seen by the consumers', state.serverRequests.size ?
    [ ...state.serverRequests ].map(([ k, v ]) => `${v}x ${k}`).join(', ') : 'none');

  // 7. shutdown (UNREGISTER_CLIENT); bounded, and reported only
  const tClose = Date.now();
  try {
    await withTimeout(Promise.all(consumers.filter(c => !(c === c2 && c2Closed)).map(c => c.close())), 10000, 'consumer close');
    await withTimeout(producer.close(), 5000, 'producer close');
    info('close (UNREGISTER_CLIENT)', `${Date.now() - tClose} ms`);
  } catch (e) {
    warn('close (UNREGISTER_CLIENT)', e.message);
  }
}

function summary(exitCode) {
  if (errorCounts.size) {
    console.log('client-side errors/warnings logged by ali-ons (count x first line; <run> = this run id, long numbers masked as #):');
    let shown = 0;
    for (const [ k, v ] of [ ...errorCounts ].sort((a, b) => b[1] - a[1])) {
      if (shown++ >= 20) {
        console.log(`  ... ${errorCounts.size - 20} more distinct lines (see ALI_ONS_LOG)`);
        break;
      }
      console.log(`  ${v}x ${k.slice(0, 220)}`);
    }
  }
  const failed = results.filter(r => r.required && r.status === 'FAIL');
  const passed = results.filter(r => r.status === 'PASS').length;
  console.log(`RESULT: ${exitCode === 0 ? 'PASS' : 'FAIL'} (${passed} passed, ${failed.length} failed${exitCode === 2 ? ', hard timeout' : ''}) in ${elapsed()}`);
  if (logStream) logStream.end();
}

// ali-ons keeps timers and sockets alive (and may emit errors on closed emitters); log, do not die
process.on('uncaughtException', err => clientLog('ERROR', 'uncaughtException', err));
process.on('unhandledRejection', err => clientLog('ERROR', 'unhandledRejection', err));

const hardTimer = setTimeout(() => {
  fail('overall', `hard timeout of ${HARD_TIMEOUT_MS / 1000} s reached`);
  summary(2);
  setTimeout(() => process.exit(2), 100);
}, HARD_TIMEOUT_MS);

main().then(() => {
  clearTimeout(hardTimer);
  const failed = results.some(r => r.required && r.status === 'FAIL');
  const code = failed || !results.length ? 1 : 0;
  summary(code);
  setTimeout(() => process.exit(code), 100);
}, err => {
  clearTimeout(hardTimer);
  fail('unexpected exception', err && err.stack || String(err));
  summary(1);
  setTimeout(() => process.exit(1), 100);
});
