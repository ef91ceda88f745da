package pidfile

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// origin is where this process's pids mean something: its pid namespace and its boot.
var origin = sync.OnceValues(func() (namespace, boot string) {
	namespace, _ = os.Readlink("/proc/self/ns/pid") // "" where /proc is missing: then nothing is compared
	data, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return namespace, strings.TrimSpace(string(data))
})

// currentOrigin returns this process's pid namespace and boot id; empty where they cannot be read.
func currentOrigin() (namespace, boot string) { return origin() }

// foreign says why record's pid is not one of this namespace and boot, or "" when it is (or when either
// side does not know).
func foreign(record Record) string {
	namespace, boot := currentOrigin()
	switch {
	case record.BootID != "" && boot != "" && record.BootID != boot:
		return fmt.Sprintf("another boot or host (boot id %s)", record.BootID)
	case record.PIDNamespace != "" && namespace != "" && record.PIDNamespace != namespace:
		return fmt.Sprintf("another pid namespace (%s)", record.PIDNamespace)
	}
	return ""
}
