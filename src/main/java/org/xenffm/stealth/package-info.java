// SPDX-License-Identifier: Apache-2.0
/**
 * Stealth breakpoints the DRAKVUF way, kept across memory sharing and forks: a breakpoint at a guest-physical or
 * guest-virtual address gets a shadow page beyond the guest's highest gfn (the original copied, INT3 written), and the
 * original gfn is remapped to it in an execute-only altp2m view ({@link org.xenffm.stealth.StealthTracer}). Built on
 * {@link org.xenffm.api.Hypervisor}, {@link org.xenffm.vmevent.MonitorSession} and the view keeper of
 * {@link org.xenffm.safe.SharingAwareAltp2m}; see docs/stealth-breakpoints.md.
 */
package org.xenffm.stealth;
