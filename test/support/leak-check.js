// Suite-wide leak check. globalSetup gives the workers a folder; test/support/harness.ts appends
// every log line of every flagger it builds there, a marker per flagger that logs through it (one
// built with the suite's own logger does not), and every token its emulators issued; after the
// last suite, globalTeardown fails the run if any line holds the client secret, its Basic
// encoding, an issued token, or the attribute sentinel the tests send.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// The client seeded into the emulators: the file test/support/emulator-env.ts reads it from.
const { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } = require('./emulator-client.json');
// Without them the check would look for "undefined" and pass on anything.
if (typeof CLIENT_ID !== 'string' || typeof CLIENT_SECRET !== 'string' || CLIENT_SECRET === '')
  throw new Error('leak check: test/support/emulator-client.json must give clientId and clientSecret');

module.exports.setup = async () => {
  process.env.FLAGGER_LEAK_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'flagger-leaks-'));
};

module.exports.teardown = async () => {
  const dir = process.env.FLAGGER_LEAK_DIR;
  if (!dir) return;
  const files = fs.readdirSync(dir);
  const read = (ext) =>
    files
      .filter((f) => f.endsWith(ext))
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('');
  const tokens = read('.secrets').split('\n').filter(Boolean);
  const lines = read('.log').split('\n').filter(Boolean);
  const flaggers = read('.flaggers').split('\n').filter(Boolean).length;
  fs.rmSync(dir, { recursive: true, force: true });
  // Without a harness flagger that logs to the folder (e.g. only the property suites ran, which
  // pass their own quiet logger), an empty folder is expected; with one, it means the harness
  // stopped writing its lines and the check would pass while scanning nothing.
  if (flaggers === 0 && lines.length === 0) {
    console.log('leak check: skipped, no suite built a flagger that logs through the harness');
    return;
  }
  const forbidden = [
    CLIENT_SECRET,
    Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'),
    'sentinel-value-4417',
    ...new Set(tokens),
  ];
  const leaks = lines.filter((line) => forbidden.some((secret) => line.includes(secret)));
  if (lines.length === 0)
    throw new Error(
      `leak check: ${flaggers} harness flagger(s) were built but no log line was collected ` +
        '(is the harness still writing them?)',
    );
  if (leaks.length > 0)
    throw new Error(
      `leak check: ${leaks.length} log line(s) hold a secret, a token or an attribute value, ` +
        `e.g. ${leaks[0].slice(0, 200)}`,
    );
  console.log(
    `leak check: ${lines.length} log lines of the suite from ${flaggers} harness flaggers, ` +
      `${new Set(tokens).size} issued tokens: no secret, token or attribute value in any line`,
  );
};
