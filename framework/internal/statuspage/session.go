package statuspage

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The session cookie holds "<expiry, Unix seconds>.<HMAC of the expiry>" under a key derived from the
// token, never the token; the CSRF field of every action form is an HMAC of the session cookie, so a
// page of another site can neither read nor guess it.
const (
	sessionCookie   = "hade_status_session"
	sessionLifetime = 12 * time.Hour
	csrfField       = "csrf"
	maxFormBytes    = 4 << 10
)

// Why an action or a sign-in is refused; the messages are what the client reads.
var (
	errNoToken     = errors.New("actions are disabled: the status page has no token configured (read-only)")
	errCrossOrigin = errors.New("cross-origin request refused: actions must come from the status page itself")
	errBadBearer   = errors.New("the Bearer token is wrong")
	errNoSession   = errors.New("not signed in (or the session expired): sign in on the status page first")
	errBadCSRF     = errors.New("the form's CSRF field is missing or wrong: reload the status page and try again")
)

// sessionKeys are derived from the token once.
type sessionKeys struct {
	key      []byte   // HMAC-SHA256 keyed by the token, of a fixed label
	tokenSum [32]byte // SHA-256 of the token, for a comparison whose time does not depend on the guess
}

func newSessionKeys(token string) *sessionKeys {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("hade status page session key v1"))
	return &sessionKeys{key: mac.Sum(nil), tokenSum: sha256.Sum256([]byte(token))}
}

// tokenMatches reports whether given is the token, in constant time.
func (k *sessionKeys) tokenMatches(given string) bool {
	sum := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(sum[:], k.tokenSum[:]) == 1
}

func (k *sessionKeys) sign(label, value string) string {
	mac := hmac.New(sha256.New, k.key)
	mac.Write([]byte(label + "|" + value))
	return hex.EncodeToString(mac.Sum(nil))
}

// newSession returns a session cookie value valid until now+sessionLifetime.
func (k *sessionKeys) newSession(now time.Time) string {
	expiry := strconv.FormatInt(now.Add(sessionLifetime).Unix(), 10)
	return expiry + "." + k.sign("session", expiry)
}

// validSession reports whether value is a session cookie of this token that has not expired at now.
func (k *sessionKeys) validSession(value string, now time.Time) bool {
	expiry, mac, found := strings.Cut(value, ".")
	if !found || !hmac.Equal([]byte(mac), []byte(k.sign("session", expiry))) {
		return false
	}
	unix, err := strconv.ParseInt(expiry, 10, 64)
	return err == nil && now.Before(time.Unix(unix, 0))
}

// csrf returns the CSRF field of the forms of session.
func (k *sessionKeys) csrf(session string) string { return k.sign("csrf", session) }

// session returns r's valid session cookie value, or "" when it has none.
func (h *Handler) session(r *http.Request) string {
	if h.keys == nil {
		return ""
	}
	cookie, err := r.Cookie(sessionCookie)
	if err != nil || !h.keys.validSession(cookie.Value, time.Now()) {
		return ""
	}
	return cookie.Value
}

// authorize checks an action request (its form parsed): a token is configured, the request is not
// cross-origin (Sec-Fetch-Site, else Origin against Host), and it carries either the token as
// "Authorization: Bearer" or a valid session cookie with its CSRF field. It returns who acted ("bearer"
// or "session") or why not.
func (h *Handler) authorize(r *http.Request) (string, error) {
	if h.keys == nil {
		return "", errNoToken
	}
	if err := h.origins.Check(r); err != nil {
		return "", errCrossOrigin
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || !h.keys.tokenMatches(strings.TrimSpace(token)) {
			return "", errBadBearer
		}
		return "bearer", nil
	}
	session := h.session(r)
	if session == "" {
		return "", errNoSession
	}
	if !hmac.Equal([]byte(r.PostFormValue(csrfField)), []byte(h.keys.csrf(session))) {
		return "", errBadCSRF
	}
	return "session", nil
}

// setSession sets (value non-empty) or clears the session cookie.
func setSession(w http.ResponseWriter, r *http.Request, value string) {
	cookie := &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(sessionLifetime / time.Second)}
	if value == "" {
		cookie.MaxAge = -1
	}
	http.SetCookie(w, cookie)
}
