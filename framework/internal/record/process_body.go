package record

import (
	"encoding/json"
	"errors"
	"github.com/hadeframe/hade/framework/internal/clock"

	"github.com/hadeframe/hade/framework/contract"
)

// processBody is a Process as encoded (see run_body.go).
type processBody struct {
	AppID       string         `json:"a"`
	Hostname    string         `json:"h,omitempty"`
	PID         int            `json:"p,omitempty"`
	BaseFolder  string         `json:"f,omitempty"`
	Provider    string         `json:"b,omitempty"`
	Version     string         `json:"v,omitempty"`
	Started     int64          `json:"s,omitempty"`
	Heartbeat   int64          `json:"t,omitempty"`
	Running     []runningBody  `json:"r,omitempty"`
	LostRecords int64          `json:"l,omitempty"`
	Buffered    map[string]int `json:"q,omitempty"`
}

// runningBody is a RunningTick as encoded.
type runningBody struct {
	Job   string `json:"j"`
	Tick  int64  `json:"t,omitempty"`
	Since int64  `json:"s,omitempty"`
}

// EncodeProcess returns process as a backend stores it: its AppID, the key, and the process as a body,
// its times to the µs.
func EncodeProcess(process Process) (contract.ProcessRecord, error) {
	body := processBody{AppID: process.AppID, Hostname: process.Hostname, PID: process.PID,
		BaseFolder: process.BaseFolder, Provider: process.Provider, Version: process.Version,
		Started: clock.UnixMicros(process.Started), Heartbeat: clock.UnixMicros(process.Heartbeat), LostRecords: process.LostRecords,
		Buffered: process.Buffered}
	for _, r := range process.Running {
		body.Running = append(body.Running, runningBody{Job: r.Job, Tick: clock.UnixMicros(r.Tick), Since: clock.UnixMicros(r.Since)})
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		return contract.ProcessRecord{}, err
	}
	return contract.ProcessRecord{AppID: process.AppID, Body: encoded}, nil
}

// errNotAProcess is the error of a body that is not a process record: not a JSON object, or without an
// app id.
var errNotAProcess = errors.New("not a process record")

// DecodeProcess is the inverse of EncodeProcess: the process a body holds, its times in UTC. It returns an
// error when body is not a process record.
func DecodeProcess(body []byte) (Process, error) {
	var b processBody
	if err := json.Unmarshal(body, &b); err != nil {
		return Process{}, err
	}
	if b.AppID == "" {
		return Process{}, errNotAProcess
	}
	process := Process{AppID: b.AppID, Hostname: b.Hostname, PID: b.PID, BaseFolder: b.BaseFolder,
		Provider: b.Provider, Version: b.Version, Started: clock.FromUnixMicros(b.Started), Heartbeat: clock.FromUnixMicros(b.Heartbeat),
		LostRecords: b.LostRecords, Buffered: b.Buffered}
	for _, r := range b.Running {
		process.Running = append(process.Running, RunningTick{Job: r.Job, Tick: clock.FromUnixMicros(r.Tick), Since: clock.FromUnixMicros(r.Since)})
	}
	return process, nil
}
