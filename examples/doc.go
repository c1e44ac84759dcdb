// Package examples holds the example configurations (kept valid by
// config's TestExamplesLoad), the simulator's demo scenario and make
// demo's script, whose tests are here.
package examples
