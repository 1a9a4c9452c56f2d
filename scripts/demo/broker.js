'use strict';
// The embedded MQTT broker (aedes), used when no external broker is configured.
const net = require('node:net');

async function startBroker(host, port) {
  // aedes is an ES module: require() of it needs Node 20.19 or later (package.json engines).
  const { Aedes } = require('aedes');
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      aedes.close();
      reject(err);
    });
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        host,
        port: actual,
        url: `mqtt://${host}:${actual}`,
        close: () =>
          new Promise((done) => {
            // aedes closes its client connections; then the listening socket can close.
            aedes.close(() => server.close(() => done()));
          }),
      });
    });
  });
}

module.exports = { startBroker };
