// What the servers' bundle (build/bundle-servers.mjs) gives Sequelize for `require('moment-timezone')`:
// the same library, its time zone data (some 700 KB of JSON, unpacked into a table at load)
// read the first time a named zone is used, not at every start. Sequelize asks for a zone
// on every DATE it writes, but with the framework's timezone, an offset ('+00:00'), which no
// zone is named: that question needs no data. A named zone (a project's own `timezone:
// 'Europe/Paris'`, `moment.tz(..., 'Asia/Tokyo')`) loads it first and is answered as before.
'use strict';

const path = require('node:path');

const moment = require('moment-timezone/moment-timezone.js');

let loaded = false;
function loadZones() {
  if (loaded) return;
  loaded = true;
  // The data of the copy Sequelize resolves, read from where it is installed (the bundle
  // leaves it out); a plain require would look beside the bundle instead.
  const from = path.dirname(require.resolve('sequelize/package.json'));
  moment.tz.load(require(require.resolve('moment-timezone/data/packed/latest.json', { paths: [from] })));
}

const OFFSET = /^[+-]\d{2}:?\d{2}$/;
// Everything on moment.tz that reads the zone table; the rest (add, load, unpack…) does not.
const READS_ZONES = new Set(['zone', 'zoneExists', 'names', 'guess', 'countries', 'zonesForCountry', 'setDefault', '_zones', '_links', '_names']);

const tz = moment.tz;
const wrapped = new Map();
moment.tz = new Proxy(tz, {
  apply(target, self, args) {
    loadZones();
    return Reflect.apply(target, self, args);
  },
  get(target, key) {
    const value = Reflect.get(target, key);
    if (typeof key !== 'string' || !READS_ZONES.has(key)) return value;
    if (typeof value !== 'function') {
      loadZones();
      return Reflect.get(target, key);
    }
    let fn = wrapped.get(key);
    if (!fn) {
      fn = function (name, ...rest) {
        if (!(key === 'zone' && typeof name === 'string' && OFFSET.test(name))) loadZones();
        return value.call(target, name, ...rest);
      };
      wrapped.set(key, fn);
    }
    return fn;
  },
});

const fnTz = moment.fn.tz;
moment.fn.tz = function (name, keepTime) {
  if (typeof name === 'string') loadZones();
  return fnTz.call(this, name, keepTime);
};

/** Whether the zone data has been read (for the test). */
moment.tz.__zonesLoaded = () => loaded;

module.exports = moment;
