#!/usr/bin/env bash
# Checks urna's own XSD/WSDL files with xmllint (package libxml2-utils).
# Valid samples (xsd/samples/*.xml not starting with "invalid-") must validate;
# invalid samples (xsd/samples/invalid-*.xml) must be rejected by the schema
# (exit status 3 = validation error; 5 would mean the schema itself failed to compile).
# Usage: bash xsd/check.sh   (from anywhere)
set -u
cd "$(dirname "$0")"
command -v xmllint >/dev/null || { echo "xmllint missing: apt-get install -y libxml2-utils" >&2; exit 2; }

fail=0

schema_for() {
  case "$(basename "$1")" in
    *5008*|*5010*|*5011*) echo 5000mutazione.xsd ;;
    *3008*|*3002*|*3003*) echo 3000consultazione.xsd ;;
    *2012*)        echo 2000cancellazione.xsd ;;
    *6001*)        echo 6001certificazione.xsd ;;
    *1002*)        echo 1000iscrizione.xsd ;;
    *A002*)        echo A000aire.xsd ;;
    *7001*|*7002*|*7003*) echo 7001scaricoTabelle.xsd ;;
    *4001*|*4005*) echo 4000estrazione.xsd ;;
    *subentroSezioni*) echo subentroSezioni.xsd ;;
    *subentroListe*)   echo subentroListe.xsd ;;
    *) echo "" ;;
  esac
}

# 1. every schema and WSDL is well-formed
for f in *.xsd ../wsdl/*.wsdl; do
  if xmllint --noout "$f"; then echo "WF   ok   $f"; else echo "WF   FAIL $f"; fail=1; fi
done

# 2. every sample against its schema
for f in samples/*.xml; do
  xsd=$(schema_for "$f")
  [ -n "$xsd" ] || { echo "?? no schema for $f"; fail=1; continue; }
  out=$(xmllint --noout --schema "$xsd" "$f" 2>&1); rc=$?
  case "$(basename "$f")" in
    invalid-*)
      if [ $rc -eq 3 ]; then echo "INV  ok   $f (rejected: $(echo "$out" | head -1 | cut -c1-160))"
      else echo "INV  FAIL $f (rc=$rc) $out"; fail=1; fi ;;
    *)
      if [ $rc -eq 0 ]; then echo "VAL  ok   $f"
      else echo "VAL  FAIL $f (rc=$rc) $out"; fail=1; fi ;;
  esac
done

# 3. the xs:schema embedded in each WSDL compiles when the WSDL sits next to the XSDs
#    (as it does when served: .../AnprService5000?wsdl and .../5000mutazione.xsd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp ./*.xsd "$tmp"/
for w in ../wsdl/*.wsdl; do
  n=$(basename "$w" .wsdl)
  # xmllint --xpath drops the inherited xmlns:xs declaration, so put it back
  xmllint --xpath '//*[local-name()="types"]/*[local-name()="schema"]' "$w" 2>/dev/null \
    | sed '1s|<xs:schema |<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" |' > "$tmp/$n-types.xsd"
  sample=$(grep -o 'schemaLocation="[^"]*"' "$tmp/$n-types.xsd" | head -1 | cut -d'"' -f2)
  # validate one request sample against the embedded schema (proves the import resolves)
  case "$sample" in
    5000mutazione.xsd) s=samples/Richiesta5011.xml ;;
    3000consultazione.xsd) s=samples/Richiesta3008-tipo1.xml ;;
    2000cancellazione.xsd) s=samples/Richiesta2012.xml ;;
    6001certificazione.xsd) s=samples/Richiesta6001.xml ;;
    1000iscrizione.xsd) s=samples/Richiesta1002.xml ;;
    A000aire.xsd) s=samples/RichiestaA002.xml ;;
    7001scaricoTabelle.xsd) s=samples/Richiesta7001.xml ;;
    4000estrazione.xsd) s=samples/Richiesta4001.xml ;;
    *) s="" ;;
  esac
  if [ -n "$s" ] && xmllint --noout --schema "$tmp/$n-types.xsd" "$s" >/dev/null 2>&1; then
    echo "WSDL ok   $w (embedded schema imports $sample)"
  else
    echo "WSDL FAIL $w (embedded schema / import $sample)"; fail=1
  fi
done

[ $fail -eq 0 ] && echo "ALL OK" || echo "FAILURES"
exit $fail
