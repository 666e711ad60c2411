// Starts GraphiQL on this server's /graphql. A file, not an inline script,
// so that the page's CSP can allow scripts from this origin only.
(function () {
  var el = document.getElementById('graphiql');
  var endpoint = el.dataset.endpoint;
  var ws = location.protocol === 'https:' ? 'wss:' : 'ws:';
  var headers = el.dataset.headers || undefined;
  // The headers given (demo mode's token) are also the fetcher's own:
  // GraphiQL fetches the schema before its headers editor has a value, and
  // the docs explorer would show "Error fetching schema" (401). The
  // editor's headers, sent with each operation, take precedence.
  var fetcher = GraphiQL.createFetcher({
    url: location.origin + endpoint,
    subscriptionUrl: ws + '//' + location.host + endpoint,
    headers: headers ? JSON.parse(headers) : undefined,
  });
  var props = {
    fetcher: fetcher,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true,
  };
  // leasegraph's own examples, a tab each, for a visitor with no tabs of
  // their own yet (GraphiQL keeps a visitor's tabs in localStorage).
  if (el.dataset.tabs) {
    props.defaultTabs = JSON.parse(el.dataset.tabs);
  }
  if (headers) {
    // The demo token: filled in on every load, so a stale token persisted
    // from an earlier demo run does not hide it.
    props.headers = headers;
  }
  ReactDOM.createRoot(el).render(React.createElement(GraphiQL, props));
})();
