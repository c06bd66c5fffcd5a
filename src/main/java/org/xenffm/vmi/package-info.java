// SPDX-License-Identifier: Apache-2.0
/**
 * Virtual-machine introspection built on {@link org.xenffm.api.Hypervisor}: guest memory by physical and virtual
 * address ({@link org.xenffm.vmi.GuestMemory}) through the x86 page walk of {@link org.xenffm.api.X86PageWalk}
 * (every paging mode; {@link org.xenffm.api.Translation}, {@link org.xenffm.api.TranslationException}).
 */
package org.xenffm.vmi;
