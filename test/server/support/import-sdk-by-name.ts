// Imports the SDK by its public name, with nothing else on the resolution path: used to show which resolver
// (the plugin loader's hook, or tsconfig `paths` through tsx) is what makes `affgraph/sdk` resolvable.
const sdk = await import('affgraph/sdk')
process.stdout.write(`resolved: ${typeof sdk.definePlatform}\n`)
