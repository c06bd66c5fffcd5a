// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.List;
import java.util.Optional;

/**
 * A connection to xenstore, the toolstack's tree of key/value nodes (libxenstore: {@code xs_open} … {@code xs_close}).
 * It is not a libxenctrl call, so it is not part of {@link Hypervisor}: the FFM backend's is
 * {@code org.xenffm.xen.XenXenstore.open()}, the emulator's {@code EmulatedHypervisor.xenstoreOpen()}, over the same
 * domains as the hypervisor handle. What xenffm reads there is what {@code xl} reads: a domain's name at
 * {@code /local/domain/<id>/name} ({@code org.xenffm.vmi.DomainNames}). Every call is outside a transaction
 * ({@code XBT_NULL}). Paths are absolute ({@link #checkPath}); values are bytes, read and written here as UTF-8 text.
 *
 * <p>Errors are {@link XenException}s naming the libxenstore call and its errno: EACCES when the node's permissions
 * exclude this domain (dom0 may read everything), EINVAL for a malformed path, ENOENT for a missing node (which
 * {@link #read} answers with an empty result instead), E2BIG for a value over 4096 bytes.
 */
public interface Xenstore extends AutoCloseable {

    /**
     * xs_read(h, XBT_NULL, path): a node's value. Changes nothing.
     *
     * @param path an absolute path, e.g. {@code /local/domain/1/name}
     * @return the value as UTF-8 text, empty when the node does not exist (ENOENT)
     * @throws XenException EACCES (the node's permissions exclude this domain), EINVAL (a malformed path)
     */
    Optional<String> read(String path);

    /**
     * xs_directory(h, XBT_NULL, path): the names of a node's children, in xenstored's order (not sorted). Changes
     * nothing.
     *
     * @param path an absolute path, e.g. {@code /local/domain}
     * @return the children's names (not full paths), empty for a node without children
     * @throws XenException ENOENT (no such node), EACCES (the node's permissions exclude this domain), EINVAL (a
     *                      malformed path)
     */
    List<String> directory(String path);

    /**
     * xs_write(h, XBT_NULL, path, value): sets a node's value, creating it and any missing parent (as the toolstack
     * does when it names a domain). Watches on the node fire.
     *
     * @param path  an absolute path
     * @param value the new value (UTF-8)
     * @throws XenException EACCES (not writable by this domain), EINVAL (a malformed path), E2BIG (value over
     *                      4096 bytes), ENOSPC (a quota of the writing domain)
     */
    void write(String path, String value);

    /**
     * xs_rm(h, XBT_NULL, path): removes a node and everything below it (as {@code xl destroy} removes
     * {@code /local/domain/<id>}).
     *
     * @param path an absolute path
     * @throws XenException ENOENT (no such node), EACCES (not writable by this domain), EINVAL (removing the root
     *                      or a malformed path)
     */
    void rm(String path);

    /** xs_close: ends the connection. Idempotent; any call after it throws IllegalStateException. */
    @Override void close();

    /**
     * The path rule both backends apply before any call, xenstored's own (xenstored_core.c:is_valid_nodename,
     * valid_chars), so a bad path fails the same way with or without xenstored. xenstored also takes paths relative
     * to the caller's {@code /local/domain/<id>}; xenffm takes absolute ones only.
     *
     * @param path the path to check
     * @throws IllegalArgumentException not absolute, an empty element ({@code //} or a trailing {@code /}), or a
     *         character other than ASCII letters, digits and {@code / - @ _}
     */
    static void checkPath(String path) {
        if (path == null || !path.startsWith("/"))
            throw new IllegalArgumentException("xenstore path must be absolute: " + path);
        if (path.length() > 1 && path.endsWith("/") || path.contains("//"))
            throw new IllegalArgumentException("xenstore path has an empty element: " + path);
        for (char c : path.toCharArray())
            if (!(Character.isLetterOrDigit(c) && c < 128) && "/-@_".indexOf(c) < 0)
                throw new IllegalArgumentException("xenstore path has a character xenstored refuses ('" + c
                        + "'; allowed: letters, digits, / - @ _): " + path);
    }
}
