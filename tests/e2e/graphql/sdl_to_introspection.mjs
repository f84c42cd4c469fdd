// Writes the introspection result of an SDL file, as graphql-js (the
// reference implementation) computes it: the "JSON form" of a schema that
// is given only as SDL.
//
//   node sdl_to_introspection.mjs schema.graphql > schema.json
import { readFileSync } from "node:fs";
import { buildSchema, introspectionFromSchema } from "graphql";

const sdl = readFileSync(process.argv[2], "utf8");
// assumeValidSDL: GitHub's published SDL defines a few fields twice.
const schema = buildSchema(sdl, { assumeValidSDL: true });
process.stdout.write(JSON.stringify(introspectionFromSchema(schema, { descriptions: true })));
