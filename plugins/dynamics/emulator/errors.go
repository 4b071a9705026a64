package emulator

import (
	"fmt"
	"net/http"
)

// apiError is a Dataverse Web API error: an HTTP status plus the {"error":{"code","message"}} body the service sends.
// Codes and messages follow the real service (see docs/emulator.md for which ones are documented by Microsoft and which
// are observed or inferred).
type apiError struct {
	Status  int
	Code    string
	Message string
	// retryAfter, when set, becomes the Retry-After header (429 responses).
	retryAfter int
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

func newAPIError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes used by the emulator, named after the Dataverse error names where they have one.
const (
	codeObjectDoesNotExist      = "0x80040217"
	codeResourceNotFound        = "0x8006088a"
	codeInvalidQuery            = "0x80060888"
	codePayloadError            = "0x80048d19"
	codeDuplicateRecord         = "0x80040237"
	codeDuplicateEntityKey      = "0x80060892"
	codeConcurrencyMismatch     = "0x80060882"
	codeStringTooLong           = "0x80044331"
	codeOutOfRange              = "0x8004431a"
	codePrivilegeDenied         = "0x80040220"
	codeNotMemberOfOrganization = "0x80072560"
	codeRequestLimit            = "0x80072322"
	codeExecutionTimeLimit      = "0x80072321"
	codeConcurrencyLimit        = "0x80072326"
	codeGenericSQL              = "0x80040216"
	codeUnexpected              = "0x80040216"
	codePluginError             = "0x80040265"
	codeRequiredAttribute       = "0x80040200"
	codeUnsupportedMessage      = "0x80040800"
	codeNone                    = ""
	codeZero                    = "0x0"
)

func errResourceNotFound(segment string) *apiError {
	return newAPIError(http.StatusNotFound, codeResourceNotFound, "Resource not found for the segment '%s'.", segment)
}

func errNoHTTPResource(url string) *apiError {
	return newAPIError(http.StatusNotFound, codeNone, "No HTTP resource was found that matches the request URI '%s'.", url)
}

func errRecordNotFound(table, id string) *apiError {
	return newAPIError(http.StatusNotFound, codeObjectDoesNotExist, "%s With Id = %s Does Not Exist", table, id)
}

func errKeyRecordNotFound(table string) *apiError {
	return newAPIError(http.StatusNotFound, codeObjectDoesNotExist,
		"A record with the specified key values does not exist in %s entity", table)
}

func errPropertyNotFound(name, table string) *apiError {
	return newAPIError(http.StatusBadRequest, codeInvalidQuery,
		"Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", name, table)
}

func errInvalidProperty(name, table string) *apiError {
	return newAPIError(http.StatusBadRequest, codeZero,
		"An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property '%s' was found in entity 'Microsoft.Dynamics.CRM.%s'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type.",
		name, table)
}

// errPayload is the ODataClientPayloadError shape used for malformed bodies, wrong literal types and bad navigation
// properties.
func errPayload(entitySet, inner string) *apiError {
	return newAPIError(http.StatusBadRequest, codePayloadError,
		"Error identified in Payload provided by the user for Entity :'%s', For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ---->  InnerException : %s",
		entitySet, inner)
}

func errUndeclaredProperty(entitySet, name string) *apiError {
	return errPayload(entitySet, fmt.Sprintf("Microsoft.OData.ODataException: An undeclared property '%s' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.", name))
}

func errLiteralType(entitySet string, value any, edmType string) *apiError {
	return errPayload(entitySet, fmt.Sprintf("Microsoft.OData.ODataException: Cannot convert the literal '%v' to the expected type '%s'.", value, edmType))
}

func errInvalidKey(table string) *apiError {
	return newAPIError(http.StatusBadRequest, codeInvalidQuery,
		"The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.%s'. Ensure that the names and number of key properties match the declared or alternate key properties for the resource 'Microsoft.Dynamics.CRM.%s'.",
		table, table)
}

func errDuplicateRecord() *apiError {
	return newAPIError(http.StatusPreconditionFailed, codeDuplicateRecord, "A record with matching key values already exists.")
}

func errDuplicateKey(keyName, columns string) *apiError {
	return newAPIError(http.StatusPreconditionFailed, codeDuplicateEntityKey,
		"Entity Key %s violated. A record with the same value for %s already exists. A duplicate record cannot be created. Select one or more unique values and try again.",
		keyName, columns)
}

func errVersionMismatch() *apiError {
	return newAPIError(http.StatusPreconditionFailed, codeConcurrencyMismatch,
		"The version of the existing record doesn't match the RowVersion property provided.")
}

func errStringTooLong(column, table string, max int) *apiError {
	return newAPIError(http.StatusBadRequest, codeStringTooLong,
		"A validation error occurred.  The length of the '%s' attribute of the '%s' entity exceeded the maximum allowed length of '%d'.",
		column, table, max)
}

func errOutOfRange(value any, column, table, accepted string) *apiError {
	return newAPIError(http.StatusBadRequest, codeOutOfRange,
		"A validation error occurred.  The value %v of '%s' on record of type '%s' is outside the valid range. Accepted Values: %s",
		value, column, table, accepted)
}

func errBadRequest(code, format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, code, format, args...)
}
