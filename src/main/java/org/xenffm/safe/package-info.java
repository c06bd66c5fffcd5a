// SPDX-License-Identifier: Apache-2.0
/**
 * Memory sharing and altp2m views on the same guest without crashing Xen or losing a view: the ledger of what is
 * shared and what each view declares ({@link org.xenffm.safe.Ledger}), the ordering rules that avoid Xen 4.17's
 * lock-order panic and nominate's EINVAL ({@link org.xenffm.safe.Hazard}, {@link org.xenffm.safe.ConflictPolicy}),
 * and the view keeper that re-applies declared views after every unshare, share, fork and fork_reset
 * ({@link org.xenffm.safe.SharingAwareAltp2m}, driven by {@link org.xenffm.safe.MonitorSessionFaults}).
 * Built only on {@link org.xenffm.api.Hypervisor} and {@link org.xenffm.vmevent.MonitorSession}.
 */
package org.xenffm.safe;
