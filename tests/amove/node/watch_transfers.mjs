// Watch the Amove hub with the JavaScript SignalR client, as docs/amove.md shows it: log in (or take a
// JWT), connect to /api/rm, and print each progress push as a JSON line until a transfer reaches
// Completed. The tests run it under Node with each transport and hub protocol.
//
//   node watch_transfers.mjs --url http://127.0.0.1:8700 [--jwt JWT] [--transport LongPolling]
//                            [--protocol messagepack] [--target transferProgress] [--timeout 30]
//
// Output, one JSON object a line: {"connected": {"transport": ..., "protocol": ...}}, then
// {"push": <payload>} for each push, then {"stopped": true}. Failures go to stderr, exit status 1.
import { parseArgs } from "node:util";
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const COMPLETED = 4;

const { values: options } = parseArgs({
  options: {
    url: { type: "string" },
    jwt: { type: "string" },
    transport: { type: "string", default: "WebSockets" },
    protocol: { type: "string", default: "json" },
    target: { type: "string", default: "transferProgress" },
    username: { type: "string", default: "admin@example.com" },
    password: { type: "string", default: "amove-admin" },
    type: { type: "string", default: "4" },
    timeout: { type: "string", default: "30" },
  },
});

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

// The client's own log goes to stderr, so stdout holds only the JSON lines.
const logger = {
  log(level, message) {
    if (level >= signalR.LogLevel.Warning) process.stderr.write(`${signalR.LogLevel[level]}: ${message}\n`);
  },
};

async function post(path, body) {
  const response = await fetch(options.url + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status}`);
  return response.json();
}

async function login() {
  const requestToken = await post("/api/authentication/request_token");
  const { jwtToken } = await post("/api/authentication/login", {
    requestToken, username: options.username, password: options.password, type: Number(options.type) });
  return jwtToken;
}

async function main() {
  const jwt = options.jwt ?? (await login());
  const hub = new signalR.HubConnectionBuilder()
    .withUrl(`${options.url}/api/rm`, {
      accessTokenFactory: () => jwt,
      transport: signalR.HttpTransportType[options.transport],
    })
    .withHubProtocol(options.protocol === "messagepack" ? new MessagePackHubProtocol() : new signalR.JsonHubProtocol())
    .configureLogging(logger)
    .build();

  const completed = new Promise((resolve) => {
    hub.on(options.target, (transfer) => {
      print({ push: transfer });
      if (transfer.transferStatus === COMPLETED) resolve();
    });
  });
  const closed = new Promise((_, reject) => hub.onclose((error) => reject(error ?? new Error("hub closed"))));
  closed.catch(() => {}); // the stop below closes it too, after the race is decided
  const timeout = new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`no Completed push within ${options.timeout} s`)), Number(options.timeout) * 1000)
      .unref();
  });

  await hub.start();
  print({ connected: { transport: options.transport, protocol: options.protocol } });
  try {
    await Promise.race([completed, closed, timeout]);
  } finally {
    await hub.stop();
  }
  print({ stopped: true });
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
