"""Layer 5: executes scenarios and plans over a transport and emits events. Never imports the simulator."""
