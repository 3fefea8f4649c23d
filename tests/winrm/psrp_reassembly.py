#!/usr/bin/python3
"""PowerShell (MS-PSRP) messages from a recorded Windows exchange, whole and reassembled from fragments.

Data: psrp_recorded.json, the PSRP payloads of a real exchange recorded in pypsrp's test suite (requests by
pypsrp, responses by Windows PowerShell 5.1: SESSION_CAPABILITY, APPLICATION_PRIVATE_DATA, RUNSPACEPOOL_STATE,
PROGRESS_RECORD, PIPELINE_OUTPUT, and PIPELINE_STATE Failed with its ErrorRecord; see the file's "source").

The exchange goes on one WinRM connection of a capture this script writes (HTTP on TCP 5985, the envelopes in
MS-WSMV's shape around the recorded payloads):
 - recorded: every payload as it was recorded (one fragment per message);
 - fragmented: every message cut into fragments of at most 200 bytes of blob (MS-PSRP 2.2.4), spread over the
   creationXml and a Send (runspace pool), the Command's Arguments and two Sends (CREATE_PIPELINE, 3.1.5.3.7),
   and several ReceiveResponses, several fragments per stream element;
 - lost: the fragmented exchange without the fourth fragment of PIPELINE_STATE;
 - cut: the fragmented exchange ending before PIPELINE_STATE's last fragment;
 - flood: 50 messages started in one ReceiveResponse and never finished (the cap of 8 partial messages).
Expected values come from the recorded bytes read here (the 2.2.1 header, the CLIXML through ElementTree), never
from hopsniff: every message with its type, direction, object id and the fields hopsniff reads (command line,
state, error message, FullyQualifiedErrorId, category reason, protocol versions); the reassembled ones also with
their fragment count and length.  The report's "user saw" is the failed pipeline's error
(PIPELINE_STATE's ErrorRecord message in the recording) at the frame that completed it.  Lost and cut: one
"psrp_fragment_gap" / "psrp_fragment_incomplete" anomaly, the broken message never shown (nor taken as what the
user saw), the others still decoded.  Flood: one "psrp_reassembly_cap" per evicted message (42) and one
"psrp_fragment_incomplete" for the 8 left.
With --plugin DIR, the Wireshark plugin built in DIR shows the same reassembled messages in tshark (one pass and
two passes).
usage: psrp_reassembly.py HOPSNIFF [KEEP_DIR] [--plugin DIR]"""
import base64
import json
import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(here))
from gen_hostile import Writer  # noqa: E402  (pcap of Ethernet/IPv4/TCP frames)

args = sys.argv[1:]
plugin_dir = None
if '--plugin' in args:
    i = args.index('--plugin')
    plugin_dir = args[i + 1]
    del args[i:i + 2]
hop = args[0]
keep = args[1] if len(args) > 1 else None
rec = json.load(open(os.path.join(here, 'psrp_recorded.json')))
SHELL, CMD = rec['shell_id'], rec['command_id']
FRAG = 200
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print('FAIL:', what)


# MS-PSRP 2.2.1 MessageType values of the messages in the recording
TYPES = {0x00010002: 'SESSION_CAPABILITY', 0x00010004: 'INIT_RUNSPACEPOOL', 0x00021009: 'APPLICATION_PRIVATE_DATA',
         0x00021005: 'RUNSPACEPOOL_STATE', 0x00021006: 'CREATE_PIPELINE', 0x00041010: 'PROGRESS_RECORD',
         0x00041004: 'PIPELINE_OUTPUT', 0x00041006: 'PIPELINE_STATE'}


def fragments(raw):
    """2.2.4: (object_id, fragment_id, flags, blob) of each fragment in a payload."""
    out, off = [], 0
    while off < len(raw):
        oid, fid, fl, n = struct.unpack('>QQBI', raw[off:off + 21])
        out.append((oid, fid, fl, raw[off + 21:off + 21 + n]))
        off += 21 + n
    return out


def expect(direction, oid, msg):
    """What the message holds, read from its bytes: 2.2.1 header, then the CLIXML (2.2.5)."""
    dest, mtype = struct.unpack('<II', msg[:8])
    root = ET.fromstring(msg[40:].decode('utf-8-sig'))
    named = {}
    for el in root.iter():
        n = el.get('N')
        if n is not None and n not in named:
            named[n] = el
    e = {'type': TYPES[mtype], 'destination': {1: 'client', 2: 'server'}[dest], 'object_id': oid}
    if 'Cmd' in named:
        e['command'] = named['Cmd'].text
    for k in ('PipelineState', 'RunspaceState'):
        if k in named:
            e['state'] = int(named[k].text)
    if 'FullyQualifiedErrorId' in named:
        e['fully_qualified_error_id'] = named['FullyQualifiedErrorId'].text
    if 'ErrorCategory_Reason' in named:
        e['category_reason'] = named['ErrorCategory_Reason'].text
    if 'Message' in named:
        e['text'] = named['Message'].text
    if 'protocolversion' in named:
        e['protocol_version'] = named['protocolversion'].text
        e['ps_version'] = named['PSVersion'].text
    return (direction, oid), e, len(msg)


messages = []   # (from, op, [(oid, message bytes)]) in recorded order
for ex in rec['exchange']:
    msgs = []
    for b in ex['blobs']:
        for oid, fid, fl, blob in fragments(base64.b64decode(b)):
            assert fid == 0 and fl == 3, 'the recording has whole messages only'
            msgs.append((oid, blob))
    messages.append((ex['from'], ex['op'], msgs, bool(ex.get('command'))))
expected = {}
for frm, op, msgs, _ in messages:
    for oid, m in msgs:
        k, e, n = expect(frm, oid, m)
        expected[k] = (e, n)
check(len(expected) == 9, 'the recording has 9 messages, read %d' % len(expected))


def cut(oid, msg, size):
    """2.2.4: fragment 0 with S, ..., the last with E."""
    parts = [msg[i:i + size] for i in range(0, len(msg), size)]
    out = []
    for i, p in enumerate(parts):
        fl = (1 if i == 0 else 0) | (2 if i == len(parts) - 1 else 0)
        out.append(struct.pack('>QQBI', oid, i, fl, len(p)) + p)
    return out


NS = ('xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
      'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
      'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"')
SHELL_NS = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/'
PS_URI = 'http://schemas.microsoft.com/powershell/Microsoft.PowerShell'


def envelope(action, body, selector=True):
    sel = '<w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>' % SHELL if selector else ''
    return ('<s:Envelope %s><s:Header><a:Action>%s</a:Action><w:ResourceURI>%s</w:ResourceURI>%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>' % (NS, action, PS_URI, sel, body)).encode()


def b64(chunks):
    return base64.b64encode(b''.join(chunks)).decode()


def create(chunks):
    return envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
                    '<rsp:Shell ShellId="%s"><rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout'
                    '</rsp:OutputStreams><creationXml xmlns="http://schemas.microsoft.com/powershell">%s</creationXml>'
                    '</rsp:Shell>' % (SHELL, b64(chunks)), selector=False)


def command(chunks):
    return envelope(SHELL_NS + 'Command', '<rsp:CommandLine CommandId="%s"><rsp:Command /><rsp:Arguments>%s'
                    '</rsp:Arguments></rsp:CommandLine>' % (CMD, b64(chunks)))


def send(chunks, cmd):
    attr = ' CommandId="%s"' % CMD if cmd else ''
    return envelope(SHELL_NS + 'Send', '<rsp:Send><rsp:Stream Name="stdin"%s>%s</rsp:Stream></rsp:Send>' % (
        attr, b64(chunks)))


def receive_response(streams, cmd):
    attr = ' CommandId="%s"' % CMD if cmd else ''
    body = ''.join('<rsp:Stream Name="stdout"%s>%s</rsp:Stream>' % (attr, b64(s)) for s in streams)
    return envelope(SHELL_NS + 'ReceiveResponse', '<rsp:ReceiveResponse>%s</rsp:ReceiveResponse>' % body)


def reply(action):
    return envelope(action, '')


receive_req = envelope(SHELL_NS + 'Receive', '<rsp:Receive><rsp:DesiredStream>stdout</rsp:DesiredStream></rsp:Receive>')


def exchange(mode):
    """[(request, response)] of the whole conversation."""
    pairs, nfrag = [], {}
    receive = receive_req
    for frm, op, msgs, cmd in messages:
        if mode == 'recorded':
            chunks = [struct.pack('>QQBI', oid, 0, 3, len(m)) + m for oid, m in msgs]
            groups = [chunks]
        else:
            chunks = []
            for oid, m in msgs:
                c = cut(oid, m, FRAG)
                nfrag[(frm, oid)] = len(c)
                chunks += c
            groups = None
        if frm == 'client' and op == 'Create':
            if groups:
                pairs.append((create(chunks), reply('http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse')))
            else:  # creationXml with the first three fragments, the rest in a Send to the pool
                pairs.append((create(chunks[:3]), reply('http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse')))
                pairs.append((send(chunks[3:], False), reply(SHELL_NS + 'SendResponse')))
        elif frm == 'client' and op == 'Command':
            if groups:
                pairs.append((command(chunks), reply(SHELL_NS + 'CommandResponse')))
            else:  # 3.1.5.3.7: the first fragment in the Command, the rest in Sends
                pairs.append((command(chunks[:1]), reply(SHELL_NS + 'CommandResponse')))
                half = 1 + (len(chunks) - 1) // 2
                pairs.append((send(chunks[1:half], True), reply(SHELL_NS + 'SendResponse')))
                pairs.append((send(chunks[half:], True), reply(SHELL_NS + 'SendResponse')))
        else:
            if groups:
                pairs.append((receive, receive_response([[c] for c in chunks], cmd)))
            else:  # 3 fragments per ReceiveResponse, in 2 stream elements (2 + 1)
                for i in range(0, len(chunks), 3):
                    g = chunks[i:i + 3]
                    pairs.append((receive, receive_response([g[:2], g[2:]] if len(g) > 2 else [g], cmd)))
    return pairs, nfrag


def write(path, pairs, drop=None, stop_before=None):
    """One TCP connection; drop: a fragment left out; stop_before: the capture ends before that fragment."""
    w = Writer(path)
    cli, srv = bytes([10, 0, 0, 1]), bytes([10, 99, 0, 1])
    w.handshake(cli, 50123, 5985, 1000, 5000)
    cseq, sseq = 1001, 5001
    for req, resp in pairs:
        for direction, body in ((0, req), (1, resp)):
            if drop and drop in body:
                body = body.replace(drop, b'')
            if stop_before and stop_before in body:
                w.close()
                return
            if direction == 0:
                head = b'POST /wsman HTTP/1.1\r\nHost: srv1:5985\r\n'
            else:
                head = b'HTTP/1.1 200 \r\nServer: Microsoft-HTTPAPI/2.0\r\n'
            data = head + b'Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: %d\r\n\r\n' % len(
                body) + body
            for i in range(0, len(data), 1400):
                seg = data[i:i + 1400]
                if direction == 0:
                    w.tcp(cli, 50123, srv, 5985, cseq, sseq, 0x18, seg)
                    cseq += len(seg)
                else:
                    w.tcp(srv, 5985, cli, 50123, sseq, cseq, 0x18, seg)
                    sseq += len(seg)
    w.close()


def decode(path):
    p = subprocess.run([hop, 'decode', '-r', path, '--json'], capture_output=True, text=True)
    check(p.returncode == 0, '%s: exit %d %s' % (path, p.returncode, p.stderr[-300:]))
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{')]
    return lines, p.stdout + p.stderr


def psrp_seen(lines):
    """{(from, object_id): item} of every message shown (whole, or reassembled on its last fragment)."""
    seen = {}
    for l in lines:
        if l.get('proto') != 'winrm':
            continue
        frm = 'server' if l.get('type') == 'response' else 'client'
        for it in l.get('psrp_messages', []):
            if 'type' in it:
                check((frm, it['object_id']) not in seen, 'message %s %d shown twice' % (frm, it['object_id']))
                seen[(frm, it['object_id'])] = it
    return seen


def anomalies(lines):
    kinds = [l['anomaly'] for l in lines if 'anomaly' in l and 'input' in l]
    check(all(isinstance(k, str) for k in kinds), 'an anomaly without a kind: %s' % kinds)
    return [k for k in kinds if isinstance(k, str)]


def same(tag, seen, keys):
    for k in keys:
        e, n = expected[k]
        got = seen.get(k)
        check(got is not None, '%s: %s message %d (%s) not shown' % (tag, k[0], k[1], e['type']))
        if got is None:
            continue
        for f, v in e.items():
            check(got.get(f) == v, '%s: %s %d %s = %r, the recording has %r' % (tag, k[0], k[1], f, got.get(f), v))


tmp = keep or tempfile.mkdtemp(prefix='psrp_reasm_')
os.makedirs(tmp, exist_ok=True)
os.chmod(tmp, 0o755)  # the plugin check's tshark may run as another user (tests/plugin/wsenv.py)
# recorded: one fragment per message
rec_pairs, _ = exchange('recorded')
write(os.path.join(tmp, 'recorded.pcap'), rec_pairs)
lines, raw = decode(os.path.join(tmp, 'recorded.pcap'))
seen = psrp_seen(lines)
same('recorded', seen, expected)
check(not [a for a in anomalies(lines) if a.startswith('psrp')], 'recorded: psrp anomalies %s' % anomalies(lines))

# fragmented: every message over several fragments, envelopes and stream elements
pairs, nfrag = exchange('fragmented')
check(sum(nfrag.values()) >= 40 and max(nfrag.values()) >= 15, 'fragmented into %s' % nfrag)
write(os.path.join(tmp, 'fragmented.pcap'), pairs)
lines, raw = decode(os.path.join(tmp, 'fragmented.pcap'))
seen = psrp_seen(lines)
same('fragmented', seen, expected)
for k, (e, n) in expected.items():
    got = seen.get(k) or {}
    if nfrag[k] > 1:
        check(got.get('reassembled_fragments') == nfrag[k] and got.get('reassembled_len') == n,
              'fragmented: %s %d reassembled from %s fragments, %s bytes; sent %d, %d' % (
                  k[0], k[1], got.get('reassembled_fragments'), got.get('reassembled_len'), nfrag[k], n))
check(not [a for a in anomalies(lines) if a.startswith('psrp')], 'fragmented: psrp anomalies %s' % anomalies(lines))
winrm = [l for l in lines if l.get('proto') == 'winrm']
check(len(winrm) == len(pairs) * 2, 'fragmented: %d envelopes decoded, %d sent' % (len(winrm), len(pairs) * 2))

if plugin_dir:  # the plugin's tree: the same reassembled messages, in one and in two passes
    sys.path.insert(0, os.path.join(os.path.dirname(here), 'plugin'))
    import wsenv  # noqa: E402
    wsenv.need('tshark')
    multi = sum(1 for k in expected if nfrag[k] > 1)
    e6 = expected[('server', 6)][0]
    for extra in ([], ['-2']):
        tree = wsenv.Env(plugin_dir).run(['tshark', '-r', os.path.join(tmp, 'fragmented.pcap'), '-V'] + extra).stdout
        check(tree.count('[reassembled_fragments: ') == multi, 'plugin %s: %d reassembled messages, want %d' % (
            extra, tree.count('[reassembled_fragments: '), multi))
        check('[reassembled_fragments: %d]' % nfrag[('server', 6)] in tree and
              '[fully_qualified_error_id: %s]' % e6['fully_qualified_error_id'] in tree,
              'plugin %s: PIPELINE_STATE not shown reassembled' % extra)

# the report: what the user saw is the failed pipeline's error, taken from the reassembled PIPELINE_STATE
rep = subprocess.run([hop, '-r', os.path.join(tmp, 'fragmented.pcap'), '--json'], capture_output=True, text=True)
saw = [c.get('user_saw') for c in json.loads(rep.stdout).get('chains', [])]
frame6 = [l['frame'] for l in lines if l.get('proto') == 'winrm' and any(
    it.get('object_id') == 6 and it.get('reassembled_fragments') for it in l.get('psrp_messages', []))]
check(saw and saw[0] and saw[0].get('text') == expected[('server', 6)][0]['text'] and [saw[0].get('frame')] == frame6,
      'report: user_saw %s, want %r at frame %s' % (saw, expected[('server', 6)][0]['text'], frame6))

# lost: PIPELINE_STATE's fourth fragment never arrives
state = [m for frm, op, msgs, _ in messages for oid, m in msgs if frm == 'server' and oid == 6][0]
lost = cut(6, state, FRAG)[3]
lost_b64 = None
for req, resp in pairs:  # the stream element's base64 that holds it, to rewrite without it
    for el in ET.fromstring(resp).iter('{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}Stream'):
        raw_el = base64.b64decode(el.text)
        if lost in raw_el:
            lost_b64 = (el.text.encode(), base64.b64encode(raw_el.replace(lost, b'')))
check(lost_b64 is not None, 'lost: the fragment is in a stream element')
write(os.path.join(tmp, 'lost.pcap'), [(q, r.replace(*lost_b64)) for q, r in pairs])
lines, raw = decode(os.path.join(tmp, 'lost.pcap'))
seen = psrp_seen(lines)
an = anomalies(lines)
check(an.count('psrp_fragment_gap') == 1 and len([a for a in an if a.startswith('psrp')]) == 1,
      'lost: not one psrp_fragment_gap anomaly for the broken message (%s)' % an)
check(('server', 6) not in seen, 'lost: the broken PIPELINE_STATE is shown')
same('lost', seen, [k for k in expected if k != ('server', 6)])
rep = subprocess.run([hop, '-r', os.path.join(tmp, 'lost.pcap'), '--json'], capture_output=True, text=True)
check(not any(c.get('user_saw') for c in json.loads(rep.stdout).get('chains', [])), 'lost: a user_saw from a broken message')

# cut: the capture ends before PIPELINE_STATE's last fragment
last = cut(6, state, FRAG)[-1]
stop = None
for req, resp in pairs:
    for el in ET.fromstring(resp).iter('{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}Stream'):
        if last in base64.b64decode(el.text):
            stop = el.text.encode()
write(os.path.join(tmp, 'cut.pcap'), pairs, stop_before=stop)
lines, raw = decode(os.path.join(tmp, 'cut.pcap'))
an = anomalies(lines)
check('psrp_fragment_incomplete' in an, 'cut: no psrp_fragment_incomplete anomaly (%s)' % an)
check(('server', 6) not in psrp_seen(lines), 'cut: the unfinished PIPELINE_STATE is shown')

# flood: 50 messages started and never finished, in one ReceiveResponse: the 9th and later evict the oldest
# (8 partial messages per connection), each eviction one anomaly; 8 are left unfinished at the end
flood = [cut(1000 + i, state, FRAG)[0] for i in range(50)]
write(os.path.join(tmp, 'flood.pcap'), [rec_pairs[0], (receive_req, receive_response([flood], True))])
lines, raw = decode(os.path.join(tmp, 'flood.pcap'))
an = anomalies(lines)
check(an.count('psrp_reassembly_cap') == 42 and an.count('psrp_fragment_incomplete') == 1,
      'flood: %d psrp_reassembly_cap (want 42), %d psrp_fragment_incomplete (want 1)' % (
          an.count('psrp_reassembly_cap'), an.count('psrp_fragment_incomplete')))

print('%d passed, %d failed' % (1 if not fails else 0, 1 if fails else 0))
sys.exit(1 if fails else 0)
