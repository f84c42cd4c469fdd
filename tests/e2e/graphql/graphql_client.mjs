// Drives `toolgate serve --stdio` in front of the library server with the
// official SDK client and checks what an agent sees: tools, annotations,
// data, custom selections, errors with partial data, policy on mutations,
// and the raw query tool. Prints "N passed, N failed"; exits 1 on a failure.
//
//   node graphql_client.mjs <toolgate-binary> <config>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [binary, config] = process.argv.slice(2);
const client = new Client({ name: "graphql-e2e", version: "1.0.0" });
await client.connect(new StdioClientTransport({
  command: binary, args: ["serve", "-c", config, "--stdio"], stderr: "inherit",
}));

let passed = 0, failed = 0;
const check = (name, ok, detail) => {
  if (ok) passed++;
  else {
    failed++;
    console.error(`FAIL: ${name}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
};
const call = (name, args) => client.callTool({ name, arguments: args });
const text = (r) => (r.content ?? []).map((c) => c.text ?? "").join("\n");

const { tools } = await client.listTools();
const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
for (const n of ["lib__book", "lib__books", "lib__search", "lib__whoami", "lib__addBook",
                 "lib__graphql_query"]) {
  check(`tools/list has ${n}`, byName[n], Object.keys(byName));
}
check("subscriptions are not tools", !byName.lib__bookAdded, Object.keys(byName));
check("queries are read-only", byName.lib__book?.annotations?.readOnlyHint === true,
      byName.lib__book?.annotations);
// deleteBook is destructive, so the policy denies every call of it: it is
// hidden from tools/list (graphql.sh checks its annotations).
check("a tool the policy always denies is not listed", !byName.lib__deleteBook, Object.keys(byName));
check("non_destructive applies", byName.lib__addBook?.annotations?.destructiveHint === false,
      byName.lib__addBook?.annotations);
const addSchema = byName.lib__addBook?.inputSchema ?? {};
check("input objects become $defs with required fields",
      JSON.stringify(addSchema.$defs?.NewBook?.required) === '["title","authorId"]', addSchema);
check("enums become enum", JSON.stringify(addSchema.$defs?.NewBook?.properties?.genre?.enum) ===
      '["FICTION","SCIENCE","HISTORY"]', addSchema);
const booksSchema = byName.lib__books?.inputSchema ?? {};
check("recursive inputs end in a $ref",
      booksSchema.$defs?.BookFilter?.properties?.and?.items?.$ref === "#/$defs/BookFilter", booksSchema);
check("custom scalars are strings with their description",
      /calendar date/.test(addSchema.$defs?.NewBook?.properties?.published?.description ?? ""), addSchema);

let r = await call("lib__book", { id: "1" });
check("a query returns its data", !r.isError && r.structuredContent?.book?.title === "Dune", r);
check("the default selection goes two levels deep",
      r.structuredContent?.book?.author?.name === "Frank Herbert" &&
      r.structuredContent?.book?.author?.books === undefined, r.structuredContent);

r = await call("lib__books", { first: 1, filter: { genre: "SCIENCE" } });
const page = r.structuredContent?.books;
check("variables reach the server", !r.isError && page?.totalCount === 2 && page?.nodes?.length === 1 &&
      page.nodes[0].genre === "SCIENCE" && page.pageInfo?.hasNextPage === true, r);

r = await call("lib__book", { id: "2", selection: "{ title author { name books { title } } }" });
check("a custom selection is used",
      !r.isError && r.structuredContent?.book?.author?.books?.some((b) => b.title === "Pale Blue Dot") &&
      r.structuredContent?.book?.genre === undefined, r);

r = await call("lib__book", { id: "1", selection: "{ title isbn }" });
check("a selection with an unknown field is refused before sending",
      r.isError && /no field 'isbn'/.test(text(r)) && /Book/.test(text(r)), r);
r = await call("lib__book", { id: "1", selection: "{ title author }" });
check("a composite field without a selection is refused",
      r.isError && /author/.test(text(r)) && /select some of its fields/.test(text(r)), r);
r = await call("lib__book", { id: "1", selection: "{ title" });
check("a selection that does not parse names line and column",
      r.isError && /not valid GraphQL: 1:\d+/.test(text(r)), r);

r = await call("lib__book", { id: "3", selection: "{ title reviews { stars } }" });
check("GraphQL errors give isError with message and path, and the partial data",
      r.isError && /reviews are unavailable/.test(text(r)) && /at book\.reviews/.test(text(r)) &&
      /Partial data/.test(text(r)) && /SPQR/.test(text(r)), r);

r = await call("lib__search", { text: "Sagan" });
check("unions are selected with __typename and fragments",
      !r.isError && r.structuredContent?.search?.[0]?.__typename === "Author" &&
      r.structuredContent.search[0].name === "Carl Sagan", r);

r = await call("lib__whoami", {});
check("the configured credential is sent", r.structuredContent?.whoami === "Bearer lib-token", r);

r = await call("lib__addBook", { input: { title: "Contact", authorId: "2" } });
check("an allowed mutation goes through, server defaults apply",
      !r.isError && r.structuredContent?.addBook?.genre === "FICTION", r);

r = await call("lib__deleteBook", { id: "1" });
check("a destructive mutation is denied by policy",
      r.isError && /Denied by policy rule 'no-destructive-mutations'/.test(text(r)), r);
r = await call("lib__book", { id: "1" });
check("the denied mutation did not run", r.structuredContent?.book?.title === "Dune", r);

r = await call("lib__graphql_query", { query: 'query Q { book(id: "2") { title } }' });
check("the raw query tool runs a query", !r.isError && r.structuredContent?.book?.title === "Cosmos", r);
r = await call("lib__graphql_query", {
  query: 'query Q { book(id: "2") { title } }\nmutation M { deleteBook(id: "2") }',
  operationName: "Q",
});
check("a raw document holding a mutation is judged as one",
      r.isError && /Denied by policy rule 'no-destructive-mutations'/.test(text(r)), r);
r = await call("lib__graphql_query", { query: "{ book(id: 1) { title publisher } }" });
check("a raw document is checked against the schema",
      r.isError && /does not fit the schema/.test(text(r)) && /publisher/.test(text(r)), r);
r = await call("lib__graphql_query", {
  query: "query ($f: BookFilter) { books(filter: $f) { totalCount } }",
  variables: { f: { titleContains: "o" } },
});
check("raw variables reach the server", !r.isError && r.structuredContent?.books?.totalCount === 3, r);

console.log(`${passed} passed, ${failed} failed`);
await client.close();
process.exit(failed ? 1 : 0);
