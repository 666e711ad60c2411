#!/bin/sh
# Re-fetches the vendored GraphiQL and the React it runs on from the npm
# registry (npm pack, no install), at the versions pinned below, with their
# LICENSE files. Run it from anywhere (make playground); commit the result.
# Changing a version: edit it here, run this, check the playground test
# (TestPlayground in server/) and the README's playground section.
set -eu
GRAPHIQL=4.1.2
REACT=18.2.0
dir=$(cd "$(dirname "$0")" && pwd)/assets
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null
for p in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT; do
	mkdir "$p" && tar xzf "$p.tgz" -C "$p"
done
cp "graphiql-$GRAPHIQL/package/graphiql.min.js" "graphiql-$GRAPHIQL/package/graphiql.min.css" "$dir/"
cp "graphiql-$GRAPHIQL/package/LICENSE" "$dir/LICENSE.graphiql"
cp "react-$REACT/package/umd/react.production.min.js" "$dir/"
cp "react-$REACT/package/LICENSE" "$dir/LICENSE.react"
cp "react-dom-$REACT/package/umd/react-dom.production.min.js" "$dir/"
cp "react-dom-$REACT/package/LICENSE" "$dir/LICENSE.react-dom"
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL" "$REACT" "$REACT" >"$dir/VERSIONS"
echo "vendored graphiql $GRAPHIQL, react $REACT into $dir"
