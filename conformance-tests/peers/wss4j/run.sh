#!/usr/bin/env bash
# Compiles the WSS4J peer (once; classes cached in ./classes, rebuilt when the
# source changes) against Debian's libwss4j-java jars and runs it:
#   run.sh verify FILE CERT.pem | run.sh bench DIR [ROUNDS]
# Exit status 3 when the peer cannot be built here (no javac or no jars).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jars=/usr/share/java
cp="$jars/wss4j.jar:$jars/xmlsec.jar:$jars/commons-logging.jar:$jars/slf4j-api.jar:$jars/slf4j-nop.jar"
for j in wss4j xmlsec commons-logging slf4j-api; do
  [ -f "$jars/$j.jar" ] || { echo "WSS4J peer: $jars/$j.jar missing (apt-get install libwss4j-java)" >&2; exit 3; }
done
command -v javac >/dev/null || { echo "WSS4J peer: no javac (a JDK 17)" >&2; exit 3; }
classes="$here/classes"
src="$here/UrnaWss4jPeer.java"
if [ ! -f "$classes/UrnaWss4jPeer.class" ] || [ "$src" -nt "$classes/UrnaWss4jPeer.class" ]; then
  mkdir -p "$classes"
  javac -nowarn -d "$classes" -cp "$cp" "$src"
fi
exec java -cp "$classes:$cp" UrnaWss4jPeer "$@"
