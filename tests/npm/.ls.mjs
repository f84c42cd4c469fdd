// A real GraphQL server (npm graphql-yoga) for the end-to-end tests, on
// 127.0.0.1 only. Its schema is tests/fixtures/graphql/library.graphql.
// With --token T, a request without "Authorization: Bearer T" gets 401.
//
//   node library_server.mjs --port 0 [--token T]    # prints "listening PORT"
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { createSchema, createYoga } from "graphql-yoga";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const token = opt("--token", "");
const sdl = readFileSync(new URL("file:///work/main/tests/fixtures/graphql/library.graphql", import.meta.url), "utf8");

const authors = [
  { id: "1", name: "Frank Herbert", born: "1920-10-08" },
  { id: "2", name: "Carl Sagan", born: "1934-11-09" },
  { id: "3", name: "Mary Beard", born: "1955-01-01" },
];
let books = [
  { id: "1", title: "Dune", genre: "FICTION", authorId: "1", published: "1965-08-01" },
  { id: "2", title: "Cosmos", genre: "SCIENCE", authorId: "2", published: "1980-01-01" },
  { id: "3", title: "SPQR", genre: "HISTORY", authorId: "3", published: "2015-11-09" },
  { id: "4", title: "Pale Blue Dot", genre: "SCIENCE", authorId: "2", published: "1994-01-01" },
];
let nextId = 5;

const matches = (b, f) =>
  !f ||
  ((!f.genre || b.genre === f.genre) &&
    (!f.titleContains || b.title.includes(f.titleContains)) &&
    (f.and || []).every((g) => matches(b, g)));

const resolvers = {
  Query: {
    book: (_, { id }) => books.find((b) => b.id === id) ?? null,
    books: (_, { first, after, filter }) => {
      const all = books.filter((b) => matches(b, filter));
      const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
      const page = all.slice(start, start + first);
      return {
        totalCount: all.length,
        pageInfo: { hasNextPage: start + first < all.length, endCursor: page.at(-1)?.id ?? null },
        edges: page.map((b) => ({ cursor: b.id, node: b })),
        nodes: page,
      };
    },
    search: (_, { text }) => [
      ...books.filter((b) => b.title.includes(text)),
      ...authors.filter((a) => a.name.includes(text)),
    ],
    whoami: (_, __, ctx) => ctx.request.headers.get("authorization") ?? "",
  },
  Mutation: {
    addBook: (_, { input }) => {
      if (!authors.some((a) => a.id === input.authorId)) throw new Error(`no author ${input.authorId}`);
      const b = { id: String(nextId++), genre: "FICTION", ...input };
      books.push(b);
      return b;
    },
    deleteBook: (_, { id }) => {
      const before = books.length;
      books = books.filter((b) => b.id !== id);
      return books.length < before;
    },
  },
  Book: {
    author: (b) => authors.find((a) => a.id === b.authorId),
    reviews: (b) => {
      if (b.id === "3") throw new Error("reviews are unavailable for this book");
      return [{ stars: 5, text: "classic" }];
    },
  },
  Author: { books: (a) => books.filter((b) => b.authorId === a.id) },
  SearchResult: { __resolveType: (x) => (x.title ? "Book" : "Author") },
  Node: { __resolveType: (x) => (x.title ? "Book" : "Author") },
};

const yoga = createYoga({
  schema: createSchema({ typeDefs: sdl, resolvers }),
  graphqlEndpoint: "/graphql",
  maskedErrors: false,
  logging: false,
});
const server = createServer((req, res) => {
  if (token && req.headers.authorization !== `Bearer ${token}`) {
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "bad or missing token" }));
    return;
  }
  yoga(req, res);
});
server.listen(Number(opt("--port", "0")), "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
