package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sluicedata/sluice/plugins/dynamics/internal/guid"
)

// handleBulk answers the bound actions CreateMultiple, UpdateMultiple and UpsertMultiple. Each runs in a single
// transaction: one invalid target fails the whole request and nothing is written, as on standard tables.
func (s *Server) handleBulk(req *apiRequest, t *Table, action string) *apiResponse {
	switch action {
	case "CreateMultiple", "UpdateMultiple", "UpsertMultiple":
	default:
		return errorResponse(errResourceNotFound("Microsoft.Dynamics.CRM." + action))
	}
	if !t.BulkOperations {
		return errorResponse(errBadRequest(codeUnsupportedMessage, "The '%s' method does not support entities of type '%s'. MessageProcessorCache returned MessageProcessor.Empty.", action, t.LogicalName))
	}
	obj, err := decodeJSONObject(t.EntitySetName, req.body)
	if err != nil {
		return errorResponse(err)
	}
	rawTargets, ok := obj["Targets"].([]any)
	if !ok {
		return errorResponse(errPayload(t.EntitySetName, "Microsoft.OData.ODataException: The parameter 'Targets' in the request payload is not a valid parameter for the operation '"+action+"'."))
	}
	targets := make([]map[string]any, len(rawTargets))
	for i, raw := range rawTargets {
		m, ok := raw.(map[string]any)
		if !ok {
			return errorResponse(errPayload(t.EntitySetName, "Microsoft.OData.ODataException: An item of 'Targets' is not an entity."))
		}
		if _, typed := m["@odata.type"]; !typed {
			return errorResponse(errPayload(t.EntitySetName, "Microsoft.OData.ODataException: A resource without a type name was found, but no expected type was specified. To allow entries without type information, the expected type must also be specified when the model is specified."))
		}
		targets[i] = m
	}
	var resp *apiResponse
	switch action {
	case "CreateMultiple":
		resp = s.createMultiple(req, t, targets)
	case "UpdateMultiple":
		resp = s.updateMultiple(req, t, targets)
	default:
		resp = s.upsertMultiple(req, t, targets)
	}
	resp.records, resp.write, resp.op = len(targets), true, action
	return resp
}

func (s *Server) createMultiple(req *apiRequest, t *Table, targets []map[string]any) *apiResponse {
	if err := s.privilegeError(req.user, t, PrivilegeCreate); err != nil {
		return errorResponse(err)
	}
	changes := make([]*entityChange, len(targets))
	for i, m := range targets {
		ch, err := s.parseEntityBody(t, m, true, req.ids)
		if err != nil {
			return errorResponse(err)
		}
		changes[i] = ch
	}
	ids := make([]string, len(changes))
	err := s.inTx(req, func(tx *txn) *apiError {
		wc := s.writeContext(req)
		for i, ch := range changes {
			id, err := s.createRecord(tx, t, ch, wc)
			if err != nil {
				return err
			}
			ids[i] = id
		}
		return nil
	})
	if err != nil {
		return errorResponse(err)
	}
	body, _ := json.Marshal(map[string]any{"@odata.context": req.root + "/$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse", "Ids": ids})
	resp := jsonResponse(http.StatusOK, body)
	resp.header.Set("Content-Type", "application/json; odata.metadata=minimal")
	return resp
}

func (s *Server) updateMultiple(req *apiRequest, t *Table, targets []map[string]any) *apiResponse {
	if err := s.privilegeError(req.user, t, PrivilegeWrite); err != nil {
		return errorResponse(err)
	}
	type item struct {
		id string
		ch *entityChange
	}
	var items []item
	seen := map[string]bool{}
	for _, m := range targets {
		if _, hasID := m["@odata.id"]; hasID {
			return errorResponse(errBadRequest(codeInvalidQuery, "Using alternate keys with UpdateMultiple is not supported; identify each target by its primary key %s.", t.PrimaryID))
		}
		raw, _ := m[t.PrimaryID].(string)
		id, ok := guid.Parse(raw)
		if !ok {
			return errorResponse(errBadRequest(codeInvalidQuery, "Each target of UpdateMultiple must include its primary key %s.", t.PrimaryID))
		}
		ch, err := s.parseEntityBody(t, m, false, req.ids)
		if err != nil {
			return errorResponse(err)
		}
		if seen[id] {
			continue // the first occurrence wins; later duplicates are ignored
		}
		seen[id] = true
		items = append(items, item{id: id, ch: ch})
	}
	err := s.inTx(req, func(tx *txn) *apiError {
		td := tx.s.data(t.LogicalName)
		wc := s.writeContext(req)
		for _, it := range items {
			existing := td.records[it.id]
			if existing == nil {
				return errRecordNotFound(t.LogicalName, it.id)
			}
			if err := s.updateRecord(tx, t, existing, it.ch, wc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return errorResponse(err)
	}
	return noContent()
}

// upsertTarget is one UpsertMultiple item with its key resolved.
type upsertTarget struct {
	ch  *entityChange // parsed for create; forUpdate drops what an update may not set
	key *recordKey    // nil: no key, always created
}

func (s *Server) upsertMultiple(req *apiRequest, t *Table, targets []map[string]any) *apiResponse {
	items := make([]upsertTarget, len(targets))
	seen := map[string]int{}
	for i, m := range targets {
		key, err := s.upsertKey(t, m)
		if err != nil {
			return errorResponse(err)
		}
		ch, err := s.parseEntityBody(t, m, true, req.ids)
		if err != nil {
			return errorResponse(err)
		}
		items[i] = upsertTarget{ch: ch, key: key}
		if key == nil {
			continue
		}
		sig := keySignature(t, key)
		if first, dup := seen[sig]; dup {
			return errorResponse(errBadRequest(codeInvalidArgument, "The Targets collection contains duplicate records: the items at index %d and %d have the same key. Remove duplicates before calling UpsertMultiple.", first, i))
		}
		seen[sig] = i
	}
	err := s.inTx(req, func(tx *txn) *apiError {
		td := tx.s.data(t.LogicalName)
		wc := s.writeContext(req)
		for _, it := range items {
			var existing *record
			if it.key != nil {
				existing = td.find(it.key)
			}
			if existing != nil {
				if err := s.privilegeError(req.user, t, PrivilegeWrite); err != nil {
					return err
				}
				ch := it.ch.forUpdate(t)
				if it.key.id == "" {
					for col := range it.key.values {
						delete(ch.values, col)
						delete(ch.binds, col)
					}
				}
				if err := s.updateRecord(tx, t, existing, ch, wc); err != nil {
					return err
				}
				continue
			}
			if err := s.privilegeError(req.user, t, PrivilegeCreate); err != nil {
				return err
			}
			ch := it.ch
			if it.key != nil && it.key.id != "" {
				ch.values[t.PrimaryID] = it.key.id
			} else if it.key != nil {
				for col, v := range it.key.values {
					if _, inBody := ch.values[col]; inBody {
						continue
					}
					if ref, isRef := v.(lookupRef); isRef {
						ch.binds[col] = &bindTarget{nav: &navProperty{Column: t.byName[col]}, key: &recordKey{id: ref.ID}}
						continue
					}
					ch.values[col] = v
				}
			}
			if _, err := s.createRecord(tx, t, ch, wc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return errorResponse(err)
	}
	return noContent()
}

const codeInvalidArgument = "0x80040203"

// upsertKey finds how an UpsertMultiple item is identified: @odata.id, its primary key, or the columns of an
// alternate key in the body. nil means none: the item is created.
func (s *Server) upsertKey(t *Table, m map[string]any) (*recordKey, *apiError) {
	if raw, ok := m["@odata.id"].(string); ok && raw != "" {
		ref, ok := parseEntityRef(raw)
		if !ok || ref.rest != "" {
			return nil, errPayload(t.EntitySetName, fmt.Sprintf("Microsoft.OData.ODataException: The @odata.id '%s' is not a valid entity reference.", raw))
		}
		if ref.set != t.EntitySetName {
			return nil, errPayload(t.EntitySetName, fmt.Sprintf("Microsoft.OData.ODataException: The @odata.id '%s' does not refer to the entity set '%s'.", raw, t.EntitySetName))
		}
		return parseKeyPredicate(t, ref.predicate, false)
	}
	if raw, ok := m[t.PrimaryID].(string); ok {
		id, ok := guid.Parse(raw)
		if !ok {
			return nil, errLiteralType(t.EntitySetName, raw, "Edm.Guid")
		}
		return &recordKey{id: id}, nil
	}
	for i, k := range t.Keys {
		values := map[string]any{}
		for _, col := range k.Columns {
			c := t.byName[col]
			raw, ok := m[col]
			if !ok || raw == nil || c.Type.isLookup() {
				values = nil
				break
			}
			v, err := convertInput(t, c, raw)
			if err != nil {
				return nil, err
			}
			values[col] = v
		}
		if values != nil {
			return &recordKey{keyIndex: i, values: values}, nil
		}
	}
	return nil, nil
}

func keySignature(t *Table, k *recordKey) string {
	if k.id != "" {
		return "id:" + k.id
	}
	return fmt.Sprintf("key%d:%s", k.keyIndex, keyString(t.Keys[k.keyIndex], func(c string) any { return k.values[c] }))
}
