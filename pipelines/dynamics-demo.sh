#!/bin/sh
# Runs pipelines/dynamics-contacts.hcl end to end against a local Dataverse
# emulator — no Dynamics account, no setup — then reads a few contacts back.
# `make demo` runs it.
set -eu
cd "$(dirname "$0")/.."
mkdir -p out
go build -o out/sluice ./cmd/sluice

# 1. Start the emulator over TLS on a free port; it writes its URL and
#    credentials as export lines to out/dataverse.env.
rm -f out/dataverse.env
out/sluice emulator dynamics --tls --addr 127.0.0.1:0 --env-file out/dataverse.env >/dev/null &
emulator=$!
trap 'kill $emulator 2>/dev/null' EXIT INT TERM
while [ ! -s out/dataverse.env ]; do sleep 0.1; done
. out/dataverse.env

# 2. Test the connection, then run the pipeline: the segment's active
#    customers are upserted into contacts by email; rejected rows go to
#    out/contacts-rejects.csv with their reasons.
out/sluice check pipelines/dynamics-contacts.hcl
echo
out/sluice run pipelines/dynamics-contacts.hcl

# 3. Read back what landed.
echo
if ! command -v curl >/dev/null; then
  echo "(Install curl to see the contacts read back from the emulator.)"
  exit 0
fi
echo "Contacts in the emulator: $(curl -s --cacert "$DATAVERSE_CA_FILE" "$DATAVERSE_URL/_emulator/tables/contact/count")"
echo "The first five, through the Web API:"
curl -s --cacert "$DATAVERSE_CA_FILE" -H "Authorization: Bearer $DATAVERSE_TOKEN" \
  -H 'Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue"' \
  "$DATAVERSE_URL/api/data/v9.2/contacts?\$select=fullname,emailaddress1,address1_city,preferredcontactmethodcode&\$top=5" |
  sed -e 's/,"value":\[/\n/' -e 's/},{/}\n{/g' -e 's/\]}$//' | tail -n +2
echo
echo "Rejected rows (out/contacts-rejects.csv), code and reason:"
awk -F, 'NR > 1 { n = NF; print "  " $1 ": " $(n-1) ": " $n }' out/contacts-rejects.csv
