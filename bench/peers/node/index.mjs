// The Node.js peer of the benchmark: a Lambda function on a custom runtime
// (a tiny Runtime API loop), reading the demo workspace with one DynamoDB
// GetItem per request. The client is built once, at init, as teams do.
import http from "node:http";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const table = process.env.PORTAL_TABLE;
const dynamodb = new DynamoDBClient({});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const [host, port] = api.split(":");
    const req = http.request({ host, port, path, method, agent }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function handler() {
  const out = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: "WS#demo" }, sk: { S: "WORKSPACE" } } }),
  );
  return {
    statusCode: out.Item ? 200 : 404,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ found: Boolean(out.Item) }),
  };
}

for (;;) {
  const next = await call("GET", "/2018-06-01/runtime/invocation/next");
  const id = next.headers["lambda-runtime-aws-request-id"];
  try {
    const result = await handler(JSON.parse(next.body));
    await call("POST", `/2018-06-01/runtime/invocation/${id}/response`, JSON.stringify(result));
  } catch (err) {
    const error = JSON.stringify({ errorType: err.name, errorMessage: err.message });
    await call("POST", `/2018-06-01/runtime/invocation/${id}/error`, error);
  }
}
