package emulator

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strings"
)

// handleCSDL serves $metadata: the entity types, their keys (with the alternate keys annotation), structural and
// navigation properties, and the entity container.
func (s *Server) handleCSDL(req *apiRequest) *apiResponse {
	if req.method != http.MethodGet {
		return errorResponse(errMethodNotAllowed(req.method))
	}
	var b strings.Builder
	esc := func(v string) string {
		var sb strings.Builder
		_ = xml.EscapeText(&sb, []byte(v))
		return sb.String()
	}
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>`)
	b.WriteString(`<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">`)
	b.WriteString(`<EntityType Name="crmbaseentity" Abstract="true"/>`)
	b.WriteString(`<EntityType Name="principal" BaseType="mscrm.crmbaseentity" Abstract="true"><Key><PropertyRef Name="ownerid"/></Key><Property Name="ownerid" Type="Edm.Guid"/></EntityType>`)
	for _, t := range s.schema.tables {
		base := "mscrm.crmbaseentity"
		if t.LogicalName == "systemuser" || t.LogicalName == "team" {
			base = "mscrm.principal"
		}
		b.WriteString(`<EntityType Name="` + t.LogicalName + `" BaseType="` + base + `">`)
		b.WriteString(`<Key><PropertyRef Name="` + t.PrimaryID + `"/></Key>`)
		for _, c := range t.Columns {
			name := c.LogicalName
			if c.Type.isLookup() {
				name = "_" + name + "_value"
			}
			b.WriteString(`<Property Name="` + name + `" Type="` + edmType(c) + `"`)
			if c.Type == TypeString || c.Type == TypeMemo {
				b.WriteString(` Unicode="false"`)
			}
			b.WriteString(`/>`)
		}
		navNames := make([]string, 0, len(t.navs))
		for n := range t.navs {
			navNames = append(navNames, n)
		}
		sort.Strings(navNames)
		for _, n := range navNames {
			np := t.navs[n]
			typ := "mscrm.principal"
			if len(np.Targets) == 1 {
				typ = "mscrm." + np.Targets[0]
			}
			b.WriteString(`<NavigationProperty Name="` + n + `" Type="` + typ + `"><ReferentialConstraint Property="_` + np.Column.LogicalName + `_value" ReferencedProperty="`)
			ref := "ownerid"
			if len(np.Targets) == 1 {
				ref = s.schema.byName[np.Targets[0]].PrimaryID
			}
			b.WriteString(ref + `"/></NavigationProperty>`)
		}
		collNames := make([]string, 0, len(t.collections))
		for n := range t.collections {
			collNames = append(collNames, n)
		}
		sort.Strings(collNames)
		for _, n := range collNames {
			b.WriteString(`<NavigationProperty Name="` + n + `" Type="Collection(mscrm.` + t.collections[n].Referencing.LogicalName + `)"/>`)
		}
		if len(t.Keys) > 0 {
			b.WriteString(`<Annotation Term="OData.Community.Keys.V1.AlternateKeys"><Collection>`)
			for _, k := range t.Keys {
				b.WriteString(`<Record Type="OData.Community.Keys.V1.AlternateKey"><PropertyValue Property="Key"><Collection>`)
				for _, col := range k.Columns {
					name := col
					if t.byName[col].Type.isLookup() {
						name = "_" + col + "_value"
					}
					b.WriteString(`<Record Type="OData.Community.Keys.V1.PropertyRef"><PropertyValue Property="Alias" String="` + esc(name) + `"/><PropertyValue Property="Name" PropertyPath="` + esc(name) + `"/></Record>`)
				}
				b.WriteString(`</Collection></PropertyValue></Record>`)
			}
			b.WriteString(`</Collection></Annotation>`)
		}
		b.WriteString(`</EntityType>`)
	}
	b.WriteString(`<ComplexType Name="WhoAmIResponse"><Property Name="BusinessUnitId" Type="Edm.Guid" Nullable="false"/><Property Name="UserId" Type="Edm.Guid" Nullable="false"/><Property Name="OrganizationId" Type="Edm.Guid" Nullable="false"/></ComplexType>`)
	b.WriteString(`<ComplexType Name="CreateMultipleResponse"><Property Name="Ids" Type="Collection(Edm.Guid)" Nullable="false"/></ComplexType>`)
	b.WriteString(`<Function Name="WhoAmI"><ReturnType Type="mscrm.WhoAmIResponse" Nullable="false"/></Function>`)
	for _, action := range []string{"CreateMultiple", "UpdateMultiple", "UpsertMultiple"} {
		b.WriteString(`<Action Name="` + action + `" IsBound="true"><Parameter Name="entityset" Type="Collection(mscrm.crmbaseentity)" Nullable="false"/><Parameter Name="Targets" Type="Collection(mscrm.crmbaseentity)" Nullable="false"/>`)
		if action == "CreateMultiple" {
			b.WriteString(`<ReturnType Type="mscrm.CreateMultipleResponse" Nullable="false"/>`)
		}
		b.WriteString(`</Action>`)
	}
	b.WriteString(`<EntityContainer Name="System">`)
	for _, t := range s.schema.tables {
		b.WriteString(`<EntitySet Name="` + t.EntitySetName + `" EntityType="Microsoft.Dynamics.CRM.` + t.LogicalName + `">`)
		if t.ChangeTracking {
			b.WriteString(`<Annotation Term="Org.OData.Capabilities.V1.ChangeTracking"><Record><PropertyValue Property="Supported" Bool="true"/></Record></Annotation>`)
		}
		b.WriteString(`</EntitySet>`)
	}
	b.WriteString(`<FunctionImport Name="WhoAmI" Function="Microsoft.Dynamics.CRM.WhoAmI" IncludeInServiceDocument="false"/>`)
	b.WriteString(`</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`)
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	h.Set("OData-Version", "4.0")
	return &apiResponse{status: http.StatusOK, header: h, body: []byte(b.String()), op: "metadata"}
}
