package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestEntityDefinitionsForTheSink(t *testing.T) {
	_, c := start(t)
	def := expect(t, c.do("GET", "EntityDefinitions(LogicalName='contact')?$select=LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,ChangeTrackingEnabled&$expand=Attributes($select=LogicalName,AttributeType,RequiredLevel,IsValidForCreate,IsValidForUpdate),Keys($select=KeyAttributes,SchemaName)", nil), http.StatusOK).json(t)
	if def["EntitySetName"] != "contacts" || def["PrimaryIdAttribute"] != "contactid" || def["PrimaryNameAttribute"] != "fullname" || def["MetadataId"] == nil || def["ChangeTrackingEnabled"] != true {
		t.Fatalf("%v", def)
	}
	attrs := map[string]map[string]any{}
	for _, a := range def["Attributes"].([]any) {
		m := a.(map[string]any)
		attrs[m["LogicalName"].(string)] = m
	}
	if attrs["emailaddress1"]["AttributeType"] != "String" || attrs["parentcustomerid"]["AttributeType"] != "Customer" ||
		attrs["createdon"]["IsValidForCreate"] != false || attrs["fullname"]["IsValidForUpdate"] != false ||
		attrs["lastname"]["RequiredLevel"].(map[string]any)["Value"] != "ApplicationRequired" {
		t.Fatalf("attributes %v", attrs["emailaddress1"])
	}
	keys := def["Keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["KeyAttributes"].([]any)[0] != "emailaddress1" {
		t.Fatalf("keys %v", keys)
	}
	// typed casts
	str := expect(t, c.do("GET", "EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName,MaxLength", nil), http.StatusOK).values(t)
	lengths := map[string]json.Number{}
	for _, a := range str {
		lengths[a["LogicalName"].(string)] = a["MaxLength"].(json.Number)
	}
	if lengths["firstname"] != "50" || lengths["emailaddress1"] != "100" || lengths["fullname"] != "160" {
		t.Fatalf("lengths %v", lengths)
	}
	pick := expect(t, c.do("GET", "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='preferredcontactmethodcode')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)", nil), http.StatusOK).json(t)
	opts := pick["OptionSet"].(map[string]any)["Options"].([]any)
	first := opts[0].(map[string]any)
	if len(opts) != 5 || first["Value"] != json.Number("1") || first["Label"].(map[string]any)["UserLocalizedLabel"].(map[string]any)["Label"] != "Any" {
		t.Fatalf("option set %v", pick)
	}
	status := expect(t, c.do("GET", "EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$select=LogicalName&$expand=OptionSet", nil), http.StatusOK).values(t)
	if o := status[0]["OptionSet"].(map[string]any)["Options"].([]any)[2].(map[string]any); o["Value"] != json.Number("3") || o["State"] != json.Number("1") {
		t.Fatalf("status option %v", o)
	}
	lookups := expect(t, c.do("GET", "EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.LookupAttributeMetadata?$select=LogicalName,Targets", nil), http.StatusOK).values(t)
	for _, l := range lookups {
		if l["LogicalName"] == "parentcustomerid" && len(l["Targets"].([]any)) != 2 {
			t.Fatalf("targets %v", l)
		}
	}
	for _, cast := range []string{"MemoAttributeMetadata", "MoneyAttributeMetadata", "DateTimeAttributeMetadata", "BooleanAttributeMetadata", "IntegerAttributeMetadata", "DoubleAttributeMetadata"} {
		if vals := expect(t, c.do("GET", "EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM."+cast+"?$select=LogicalName", nil), http.StatusOK).values(t); len(vals) == 0 {
			t.Errorf("no %s on account", cast)
		}
	}
	// OptionSet needs the cast, as on the service
	expect(t, c.do("GET", "EntityDefinitions(LogicalName='contact')/Attributes?$expand=OptionSet", nil), http.StatusBadRequest)
	// navigation property names of the lookups
	rels := expect(t, c.do("GET", "EntityDefinitions(LogicalName='contact')/ManyToOneRelationships?$select=ReferencingAttribute,ReferencingEntityNavigationPropertyName,ReferencedEntity", nil), http.StatusOK).values(t)
	found := false
	for _, r := range rels {
		if r["ReferencingAttribute"] == "parentcustomerid" && r["ReferencedEntity"] == "account" && r["ReferencingEntityNavigationPropertyName"] == "parentcustomerid_account" {
			found = true
		}
	}
	if !found {
		t.Fatalf("relationships %v", rels)
	}
	expect(t, c.do("GET", "EntityDefinitions(LogicalName='nosuchtable')", nil), http.StatusNotFound)
}

func TestServiceDocumentAndCSDL(t *testing.T) {
	srv, c := start(t)
	doc := expect(t, c.do("GET", "", nil), http.StatusOK).json(t)
	names := map[string]bool{}
	for _, v := range doc["value"].([]any) {
		names[v.(map[string]any)["name"].(string)] = true
	}
	if doc["@odata.context"] != srv.WebAPIURL()+"/$metadata" || !names["contacts"] || !names["accounts"] || !names["leads"] {
		t.Fatalf("%v", doc)
	}
	csdl := expect(t, c.do("GET", "$metadata", nil), http.StatusOK)
	for _, want := range []string{`<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm"`, `<EntityType Name="contact"`, `<NavigationProperty Name="parentcustomerid_account" Type="mscrm.account">`,
		`<PropertyValue Property="Name" PropertyPath="emailaddress1"/>`, `<EntitySet Name="contacts" EntityType="Microsoft.Dynamics.CRM.contact">`} {
		if !strings.Contains(string(csdl.body), want) {
			t.Errorf("$metadata lacks %s", want)
		}
	}
	// older API versions answer too
	expect(t, c.do("GET", srv.URL()+"/api/data/v9.0/WhoAmI", nil), http.StatusOK)
	expect(t, c.do("GET", srv.URL()+"/api/data/v9.1/WhoAmI", nil), http.StatusOK)
	expect(t, c.do("GET", srv.URL()+"/api/data/v8.2/WhoAmI", nil), http.StatusNotFound)
}
