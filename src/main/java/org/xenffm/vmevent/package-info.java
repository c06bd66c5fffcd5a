// SPDX-License-Identifier: Apache-2.0
/**
 * The vm_event consumer: the monitor ring, typed events and responses, and monitor sessions that never leave a guest
 * paused. Works over any {@link org.xenffm.api.Hypervisor} — the FFM backend on real Xen and the emulator run the
 * same code (the ring page from {@code monitorEnable}, the doorbell from {@code eventChannelOpen}).
 *
 * <ul>
 *   <li>{@link org.xenffm.vmevent.MonitorSession} — what most users want: choose events and mem_access settings,
 *       handle {@link org.xenffm.vmevent.VmEvent}s on the session's thread, answer with
 *       {@link org.xenffm.vmevent.VmEventResponse}s; {@code close()} (also on handler failure and SIGINT) pauses,
 *       drains, answers, disables, restores and unpauses. No handler allocates per event: typed handlers
 *       get the ring's reusable event of their type (valid during the call; {@code copy()} keeps one), those
 *       registered with {@code onView} a {@link org.xenffm.vmevent.RequestView} with raw field access. A running session adds
 *       and removes {@link org.xenffm.vmevent.Watch}es (returning {@link org.xenffm.vmevent.LiveWatch}es) from
 *       handlers and other threads.</li>
 *   <li>{@link org.xenffm.vmevent.VmEventRing} — the bounds-checked back ring over the 4096-byte page, for callers
 *       that drive the protocol themselves.</li>
 *   <li>{@link org.xenffm.vmevent.VmEventAbi} — the v7 offsets, taken from the jextract layouts of Xen 4.17's
 *       headers.</li>
 * </ul>
 *
 * <p>Version drift is checked, not assumed: the hypervisor's {@code xc_vm_event_get_version} must be 7 (Xen 4.15
 * and newer) or {@link org.xenffm.vmevent.VmEventVersionException} is thrown before anything is enabled, and every
 * request's own version is checked ({@link org.xenffm.vmevent.RingCorruptException}).
 *
 * <p>Benchmarks (JMH, {@code src/jmh}): {@code mvn -q -Pjmh test-compile exec:exec -Djmh.args=VmEventRingBench}
 * compares this consumer with a gcc-built C consumer over the same producer;
 * {@code -Djmh.args=EmulatorSessionBench} measures events/s end to end through the emulator; measured numbers are
 * in src/jmh/RESULTS.md.
 */
package org.xenffm.vmevent;
