package secret

import (
	"slices"
	"strings"
	"testing"
)

func TestRedactValue(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		// URLs: as RedactURL.
		{"redis://:s3cret@host:6379/0", "redis://:xxxxx@host:6379/0"},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://host:6379/0?dial_timeout=1s", "redis://host:6379/0?…"},
		{"redis://:s3cret%zz@host:6379/0", "<unparsable URL>"},
		{"postgres://app:s3cret@db:5432/app?sslmode=require&password=q", "postgres://app:xxxxx@db:5432/app?…"},
		{"redis://:pa,ss@host:6379/0", "redis://:xxxxx@host:6379/0"},
		// Lists of URLs (etcd's endpoints): each URL as RedactURL, the rest kept.
		{"http://10.0.0.1:2379,http://10.0.0.2:2379", "http://10.0.0.1:2379,http://10.0.0.2:2379"},
		{"https://a:2379, https://b:2379,", "https://a:2379, https://b:2379,"},
		{"http://u:pw@a:2379,http://b:2379", "http://u:xxxxx@a:2379,http://b:2379"},
		{"redis://u:12,x://y@host:6379/0", "redis://u:xxxxx@host:6379/0"}, // a password holding ",x://"
		// "://" in what is no URL.
		{"10.0.0.1:2379,http://10.0.0.2:2379", "<unparsable URL>"},
		{"sslrootcert=/etc/ca password=s3cret host=a://b", "<unparsable URL>"},
		{"://host", "<unparsable URL>"},
		// libpq keyword/value connection strings.
		{"host=db password=s3cret dbname=app", "host=db password=xxxxx dbname=app"},
		{"host=db password = 's3 \\'cret' dbname=app", "host=db password = xxxxx dbname=app"},
		{"password=s3cret", "password=xxxxx"},
		{"host=db password='unterminated", "host=db password=xxxxx"},
		{"host=db sslpassword=keypw password=pw", "host=db sslpassword=xxxxx password=xxxxx"},
		{"host=db password= dbname=app", "host=db password= xxxxx"}, // as libpq reads it: blanks after "=" skipped
		{"host=db password=", "host=db password="},                  // empty: nothing to hide
		{"host=db password='' dbname=app", "host=db password='' dbname=app"},
		{"user=password host=db", "user=password host=db"},
		{"host=db user=app", "host=db user=app"},
		// user:password@host without a scheme.
		{"user:s3cret@host:6379", "user:xxxxx@host:6379"},
		{":s3cret@host:6379", ":xxxxx@host:6379"},
		// Anything else: as is.
		{"", ""},
		{"hade:", "hade:"},
		{"/hade/", "/hade/"},
		{"127.0.0.1:2379", "127.0.0.1:2379"},
		{"2s", "2s"},
		{"/etc/ssl/ca.pem", "/etc/ssl/ca.pem"},
		{"root", "root"},
		{"user@host", "user@host"},
	} {
		if got := RedactValue(tc.value); got != tc.want {
			t.Errorf("RedactValue(%q) = %q, want %q", tc.value, got, tc.want)
		}
	}
}

func TestValuePasswords(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{"redis://:s3cret@host:6379/0", []string{"s3cret"}},
		{"redis://user:p%40ss@host:6379/0", []string{"p%40ss", "p@ss"}},
		{"redis://:s3cret%zz@host:6379/0", []string{"s3cret%zz"}},
		{"postgres://db/app?sslmode=require&password=p%26w", []string{"p%26w", "p&w"}},
		{"http://a:2379,http://u:pw@b:2379", []string{"pw", "2379,http://u:pw"}},
		{"http://10.0.0.1:2379,http://10.0.0.2:2379", nil},
		{"host=db password=s3cret dbname=app", []string{"s3cret"}},
		{"host=db password='s3 \\'cret' dbname=app", []string{"'s3 \\'cret'", "s3 \\'cret", "s3 'cret"}},
		{"host=db password=pa\\ ss", []string{"pa\\ ss", "pa ss"}},
		{"host=db sslpassword='k' password=p", []string{"'k'", "k", "p"}},
		{"host=db password= dbname=app", []string{"dbname=app"}},
		{"host=db password=", nil},
		{"user:s3cret@host:6379", []string{"s3cret"}},
		{"hade:", nil},
		{"127.0.0.1:2379", nil},
		{"", nil},
	} {
		got := ValuePasswords(tc.value)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("ValuePasswords(%q) = %q, want %q", tc.value, got, want)
		}
		if shown := Scrub(tc.value, got); len(got) > 0 && !strings.Contains(shown, Mask) {
			t.Errorf("Scrub(%q, ValuePasswords) = %q: nothing masked", tc.value, shown)
		}
	}
}

// What RedactValue shows carries none of the passwords ValuePasswords finds.
func TestRedactValueHidesThePasswords(t *testing.T) {
	for _, value := range []string{
		"redis://:s3cret@host:6379/0", "redis://u:12,x://y@host:6379/0", "host=db password='s3 \\'cret'",
		"postgres://app:s3cret@db/app?password=s3cret", "user:s3cret@host:6379", "password=s3cret",
	} {
		shown := RedactValue(value)
		for _, password := range ValuePasswords(value) {
			if strings.Contains(shown, password) {
				t.Errorf("RedactValue(%q) = %q shows %q", value, shown, password)
			}
		}
	}
}

func TestScrubReplacesTheLongerSecretFirst(t *testing.T) {
	if got := Scrub("token mysecret2", []string{"secret", "mysecret2"}); got != "token xxxxx" {
		t.Fatalf("Scrub = %q, want %q", got, "token xxxxx")
	}
}
