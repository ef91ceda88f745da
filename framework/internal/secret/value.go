package secret

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// RedactValue returns value, a setting's, fit to show, whatever the setting: a value containing "://" is a
// URL, or a comma-separated list of URLs, shown by RedactURL (password masked, query dropped), or
// "<unparsable URL>" when it is neither; in any other value, the value of each password= (or
// sslpassword=) of a libpq keyword/value connection string is Mask, e.g. "host=db password=xxxxx
// dbname=app", and so is the password of a user:password@host without a scheme. Any other value is
// returned as is.
func RedactValue(value string) string {
	if strings.Contains(value, "://") {
		if isURL(value) {
			return RedactURL(value)
		}
		if shown, ok := redactURLList(value); ok {
			return shown
		}
		return unparsableURL
	}
	shown := value
	spans := keywordPasswordSpans(value)
	for i := len(spans) - 1; i >= 0; i-- {
		shown = shown[:spans[i].start] + Mask + shown[spans[i].end:]
	}
	if !strings.ContainsFunc(value, unicode.IsSpace) { // user:password@host, a URL without its scheme
		shown = Scrub(shown, URLPasswords(value))
	}
	return shown
}

// isURL reports whether value parses as a URL with a scheme and "://" (e.g. not a path that holds "://").
func isURL(value string) bool {
	parsed, err := url.Parse(value)
	return err == nil && parsed.Scheme != "" && strings.Contains(value, "://")
}

// redactURLList returns value, URLs separated by commas (e.g. etcd's endpoints), with each URL shown by
// RedactURL and the blanks around it kept; false when an item is not a URL that parses.
func redactURLList(value string) (string, bool) {
	items := strings.Split(value, ",")
	for i, item := range items {
		trimmed := strings.TrimSpace(item)
		if trimmed == "" {
			continue
		}
		if !isURL(trimmed) {
			return "", false
		}
		start := strings.Index(item, trimmed)
		items[i] = item[:start] + RedactURL(trimmed) + item[start+len(trimmed):]
	}
	shown := strings.Join(items, ",")
	for _, password := range URLPasswords(value) {
		if strings.Contains(password, ",") { // a password split across items: no item hid it whole
			shown = Scrub(shown, []string{password})
		}
	}
	return shown, true
}

// ValuePasswords returns the passwords value, a setting's, may carry, for scrubbing messages that quote
// it: a URL's (also of each URL of a comma-separated list, and of a password or sslpassword query
// option), as written and percent-decoded; a libpq keyword/value connection string's password and
// sslpassword values, as written (quoted) and unquoted; and the password of a user:password@host. None
// (nil) when it has none.
func ValuePasswords(value string) []string {
	var found []string
	if strings.Contains(value, "://") {
		found = append(found, URLPasswords(value)...)
		for item := range strings.SplitSeq(value, ",") {
			if strings.Contains(item, "://") {
				found = append(found, URLPasswords(strings.TrimSpace(item))...)
			}
		}
		found = append(found, queryPasswords(value)...)
	} else if !strings.ContainsFunc(value, unicode.IsSpace) {
		found = append(found, URLPasswords(value)...)
	}
	for _, span := range keywordPasswordSpans(value) {
		found = append(found, value[span.start:span.end], span.value)
		if quoted := value[span.start:span.end]; len(quoted) >= 2 && quoted[0] == '\'' {
			found = append(found, strings.TrimSuffix(quoted[1:], "'")) // the escapes as written
		}
	}
	found = slices.DeleteFunc(found, func(password string) bool { return password == "" })
	slices.Sort(found)
	found = slices.Compact(found)
	if len(found) == 0 {
		return nil
	}
	return found
}

// queryPasswords returns the values of the password and sslpassword options of the query of rawURL (a
// postgres:// URL takes them), as written and decoded, also when rawURL does not parse.
func queryPasswords(rawURL string) []string {
	_, query, found := strings.Cut(rawURL, "?")
	if !found {
		return nil
	}
	query, _, _ = strings.Cut(query, "#")
	var passwords []string
	for option := range strings.SplitSeq(query, "&") {
		key, value, _ := strings.Cut(option, "=")
		if decoded, err := url.QueryUnescape(key); err == nil {
			key = decoded
		}
		if !isPasswordKeyword(key) || value == "" {
			continue
		}
		passwords = append(passwords, value)
		if decoded, err := url.QueryUnescape(value); err == nil {
			passwords = append(passwords, decoded)
		}
	}
	return passwords
}

// isPasswordKeyword reports whether keyword, of a libpq connection string or a URL's query, names a
// password: password (the user's) or sslpassword (the client key's).
func isPasswordKeyword(keyword string) bool {
	return strings.EqualFold(keyword, "password") || strings.EqualFold(keyword, "sslpassword")
}

// passwordSpan is where a password's value is in a connection string: text[start:end] as written, quotes
// included, and value, unquoted and unescaped.
type passwordSpan struct {
	start, end int
	value      string
}

// keywordPasswordSpans returns the non-empty values of the password keywords (see isPasswordKeyword) of
// text read as a libpq keyword/value connection string: keyword = value pairs separated by blanks, blanks
// around "=" allowed, a value single-quoted or not, a backslash escaping the next character. It reads
// leniently, so that a string libpq would refuse still has its passwords found: a word without "=" is
// skipped, and an unterminated quoted value runs to the end of text.
func keywordPasswordSpans(text string) []passwordSpan {
	var spans []passwordSpan
	i := 0
	skipBlanks := func() {
		for i < len(text) && isBlank(text[i]) {
			i++
		}
	}
	for {
		skipBlanks()
		if i >= len(text) {
			return spans
		}
		keywordStart := i
		for i < len(text) && text[i] != '=' && !isBlank(text[i]) {
			i++
		}
		keyword := text[keywordStart:i]
		skipBlanks()
		if i >= len(text) || text[i] != '=' {
			continue // a word that is no keyword = value: read on from the next one
		}
		i++
		skipBlanks()
		start := i
		value := readConninfoValue(text, &i)
		if isPasswordKeyword(keyword) && value != "" {
			spans = append(spans, passwordSpan{start: start, end: i, value: value})
		}
	}
}

// readConninfoValue reads the value of a connection string's pair at text[*i:], quoted or not, moves *i
// past it and returns it unquoted and unescaped.
func readConninfoValue(text string, i *int) string {
	var value strings.Builder
	quoted := *i < len(text) && text[*i] == '\''
	if quoted {
		*i++
	}
	for *i < len(text) {
		c := text[*i]
		switch {
		case c == '\\' && *i+1 < len(text):
			value.WriteByte(text[*i+1])
			*i += 2
			continue
		case quoted && c == '\'':
			*i++
			return value.String()
		case !quoted && isBlank(c):
			return value.String()
		}
		value.WriteByte(c)
		*i++
	}
	return value.String()
}

// isBlank reports whether c separates the pairs of a connection string (as libpq's isspace).
func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
