// Starts GraphiQL from files this server serves: no CDN, no inline script (the page's CSP allows neither).
// The editor's workers are plain files too, instead of the blob: URLs GraphiQL would otherwise build.
const workers = {
  editorWorkerService: '/graphiql/editor.worker.js',
  json: '/graphiql/json.worker.js',
  graphql: '/graphiql/graphql.worker.js',
}
self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: (_moduleId, label) => workers[label] ?? workers.editorWorkerService,
}
const options = JSON.parse(document.getElementById('graphiql-options')?.textContent || '{}')
globalThis.YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options)
