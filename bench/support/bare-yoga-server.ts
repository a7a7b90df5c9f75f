/**
 * The load benchmark's baseline: graphql-yoga with a one-field schema and nothing else, in a process of its own,
 * so that the ratios show what affgraph adds on top of the framework on the same machine in the same run.
 * Prints `listening <port>` once it accepts connections.
 */
import { createServer } from 'node:http'
import { createSchema, createYoga } from 'graphql-yoga'

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { ping: String! }',
    resolvers: { Query: { ping: () => 'pong' } },
  }),
  logging: false,
  graphiql: false,
})
const server = createServer(yoga)
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
