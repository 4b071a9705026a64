package dynamics

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// advice turns a failure into what a Dynamics administrator can do about
// it: which portal, which page, which setting. It knows the environment,
// the app registration and the table from the configuration; it never sees
// a secret.
func (s *Sink) advice(err error) string {
	return adviceFor(err, adviceContext{
		url:      s.ep.base,
		api:      s.ep.api,
		tenantID: strings.TrimSpace(s.cfg.Auth.TenantID),
		clientID: strings.TrimSpace(s.cfg.Auth.ClientID),
		table:    s.cfg.Table,
		secret:   s.cfg.Auth.ClientSecret != "",
		ca:       s.cfg.Auth.CAFile != "",
	})
}

type adviceContext struct {
	url, api, tenantID, clientID, table string
	secret, ca                          bool
}

const (
	appRegistrations = "Microsoft Entra admin center → App registrations"
	appUsers         = "Power Platform admin center → Environments → your environment → Settings → Users + permissions → Application users"
)

func adviceFor(err error, c adviceContext) string {
	var authErr *authError
	if errors.As(err, &authErr) {
		if net := networkAdvice(authErr.err, authErr.authority, c); net != "" {
			return net
		}
		return tokenAdvice(authErr, c)
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return apiAdvice(ae, c)
	}
	var te *transportError
	if errors.As(err, &te) {
		return networkAdvice(te.err, c.url, c)
	}
	return ""
}

// tokenAdvice explains the authority's AADSTS errors.
func tokenAdvice(e *authError, c adviceContext) string {
	switch e.code() {
	case "7000215":
		return fmt.Sprintf("The client secret is wrong. In %s → the app %s → Certificates & secrets, create a new client secret and copy its Value (not its Secret ID) into auth.client_secret.", appRegistrations, c.clientID)
	case "7000222":
		return fmt.Sprintf("The client secret has expired. In %s → the app %s → Certificates & secrets, create a new client secret and put its Value in auth.client_secret.", appRegistrations, c.clientID)
	case "700016":
		return fmt.Sprintf("Tenant %s has no application with client id %s. Check auth.client_id (the Application (client) ID on the app's Overview page in %s) and auth.tenant_id (its Directory (tenant) ID).", c.tenantID, c.clientID, appRegistrations)
	case "90002", "90023":
		return fmt.Sprintf("Tenant %s does not exist. Check auth.tenant_id: the Directory (tenant) ID on the app's Overview page in %s.", c.tenantID, appRegistrations)
	case "500011":
		return fmt.Sprintf("Tenant %s has no Dataverse environment at %s. Check url — the Environment URL in Power Platform admin center → Environments → your environment — and that the app registration belongs to the environment's tenant.", c.tenantID, c.url)
	case "700027", "700024", "7000274", "700023":
		return fmt.Sprintf("The authority refused the certificate. Upload the certificate's public part (.cer) to %s → the app %s → Certificates & secrets → Certificates, and check it has not expired.", appRegistrations, c.clientID)
	case "7000112":
		return fmt.Sprintf("The application %s is disabled in tenant %s. Enable it in Microsoft Entra admin center → Enterprise applications.", c.clientID, c.tenantID)
	case "50194", "700054":
		return "The app registration is not set up for client credentials in this tenant. Check auth.tenant_id: use the tenant id, not \"common\" or \"organizations\"."
	}
	msg := e.err.Error()
	switch {
	case strings.Contains(msg, "invalid_client") && c.secret:
		return fmt.Sprintf("The authority refused the app's credentials. Check auth.client_id and auth.client_secret against %s → the app %s.", appRegistrations, c.clientID)
	case strings.Contains(msg, "404"), strings.Contains(msg, "openid-configuration"):
		return fmt.Sprintf("The authority %s did not answer as a Microsoft Entra ID authority does. Check auth.authority (default https://login.microsoftonline.com/<tenant_id>) and auth.tenant_id.", e.authority)
	}
	return fmt.Sprintf("Check auth.tenant_id, auth.client_id and the credential against %s → the app %s.", appRegistrations, c.clientID)
}

// apiAdvice explains Web API refusals that concern the whole connection.
func apiAdvice(e *apiError, c adviceContext) string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("The environment %s refused the app's token. Check that url is the environment's URL exactly as Power Platform admin center → Environments shows it (the token is issued for %s/.default) and that the app registration (client %s) is in the environment's tenant %s.", c.url, c.url, c.clientID, c.tenantID)
	case e.Status == http.StatusForbidden && (e.Code == codeNotMember || strings.Contains(e.Message, "not a member of the organization")):
		return fmt.Sprintf("The environment has no application user for the app %s. Add it: %s → New app user → choose the app registration, a business unit and a security role that can read and write %s.", c.clientID, appUsers, c.table)
	case e.Status == http.StatusForbidden:
		priv := ""
		if i := strings.Index(e.Message, "prv"); i >= 0 {
			priv = e.Message[i:]
			if j := strings.IndexAny(priv, " ,."); j >= 0 {
				priv = priv[:j]
			}
		}
		what := "the privileges the sink needs"
		if priv != "" {
			what = priv
		}
		return fmt.Sprintf("The application user of %s lacks %s. In %s, select the app user → Edit security roles, or edit its role in Settings → Users + permissions → Security roles: give it Create, Read and Write on %s (Append and Append To for lookups, Delete for deletes) at the Organization level.", c.clientID, what, appUsers, c.table)
	case e.Status == http.StatusNotFound && (e.Code == codeResourceNotFound || e.Code == ""):
		return fmt.Sprintf("There is no Dataverse Web API at %s. Check url: give the Environment URL from Power Platform admin center → Environments → your environment, such as https://contoso.crm.dynamics.com.", c.api)
	}
	return ""
}

// networkAdvice explains failures to reach a host at all.
func networkAdvice(err error, target string, c adviceContext) string {
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return fmt.Sprintf("The host %s does not exist (DNS). Check the URL's spelling and region (contoso.crm.dynamics.com, contoso.crm4.dynamics.com …) in Power Platform admin center → Environments.", host)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("The host %s could not be resolved: %v. Check the network and DNS settings of this machine.", host, dnsErr.Err)
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		if c.ca {
			return fmt.Sprintf("The TLS certificate of %s is not signed by a trusted authority, auth.ca_file included. Check that auth.ca_file holds the CA that signed it.", host)
		}
		return fmt.Sprintf("The TLS certificate of %s is not signed by an authority this machine trusts. If a proxy inspects TLS, set auth.ca_file to its CA certificate (PEM); for the emulator, to its DATAVERSE_CA_FILE.", host)
	case errors.As(err, &hostErr):
		return fmt.Sprintf("The TLS certificate of %s is for another host: %v. Check the URL.", host, hostErr)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Nothing accepts connections at %s. Check the URL and port; for the emulator, that it is running.", host)
	}
	return ""
}
