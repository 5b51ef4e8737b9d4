/**
 * The bare route of bench:http: a Fastify POST route that echoes its JSON
 * body, and nothing else, in a process of its own (as the full server is),
 * so both are measured under the same conditions. Prints its URL.
 */
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.post("/echo", async (req) => req.body);
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
console.log(`bare echo on http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
