package main

import (
	"fmt"
	"time"
)

// startNode starts node index (generation counts its restarts) and makes it the current node index.
func (r *loadRun) startNode(index, generation int) (*nodeProcess, error) {
	n, err := r.start(index, generation)
	if err != nil {
		return nil, err
	}
	r.processes = append(r.processes, n)
	if index < len(r.nodes) {
		r.nodes[index] = n
	} else {
		r.nodes = append(r.nodes, n)
	}
	return n, nil
}

// gracefulEvents are the events of -term-at and -rolling-restart-at.
func (r *loadRun) gracefulEvents() []event {
	var events []event
	if r.options.termAt > 0 {
		events = append(events, event{at: r.windowStart.Add(r.options.termAt), do: func() error {
			r.disruption = "node 0 stopped with SIGTERM"
			r.disruptionStart = time.Now()
			err := r.nodes[0].terminate()
			r.disruptionEnd = time.Now()
			return err
		}})
	}
	if r.options.rollingAt > 0 {
		events = append(events, event{at: r.windowStart.Add(r.options.rollingAt), do: r.rollingRestart})
	}
	return events
}

// rollingRestart restarts every node in turn: SIGTERM, wait for its exit, start it again, wait until it is
// up, wait -rolling-pause before the next. It fails when the restart does not end 2s before the window does.
func (r *loadRun) rollingRestart() error {
	r.disruption = fmt.Sprintf("rolling restart of the %d nodes (SIGTERM, exit, start)", len(r.nodes))
	r.disruptionStart = time.Now()
	for index := range r.nodes {
		if index > 0 {
			time.Sleep(r.options.rollingPause)
		}
		if err := r.nodes[index].terminate(); err != nil {
			return err
		}
		n, err := r.startNode(index, 1)
		if err != nil {
			return err
		}
		if err := n.waitStarted(60 * time.Second); err != nil {
			return err
		}
	}
	r.disruptionEnd = time.Now()
	if r.disruptionEnd.After(r.windowEnd.Add(-2 * time.Second)) {
		return fmt.Errorf("the rolling restart ended at %s, less than 2s before the window's end: use a longer -duration",
			r.disruptionEnd.Format("15:04:05.000"))
	}
	return nil
}
