// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.DomainInfo;

/** The batching of xc_domain_getinfolist against a fake hypercall that behaves like XEN_SYSCTL_getdomaininfolist. */
class GetinfolistBatchTest {
    /** dom0, two low guests, then a dense block of 600 ids: more than two batches of 256. */
    private static final List<Integer> IDS = IntStream.concat(IntStream.of(0, 1, 5), IntStream.range(300, 900)).boxed()
            .toList();

    private final List<int[]> calls = new ArrayList<>();

    private List<DomainInfo> fake(DomainId from, int max) {
        calls.add(new int[] {from.value(), max});
        return IDS.stream().filter(id -> id >= from.value()).limit(max)
                .map(id -> new DomainInfo(DomainId.of(id), false, false, false, true, true, 1, 1, 0, 0, 1)).toList();
    }

    private static List<Integer> ids(List<DomainInfo> l) { return l.stream().map(i -> i.domain().value()).toList(); }

    @Test void everyDomainComesBackOnceInOrderWithBoundedCalls() {
        List<DomainInfo> all = XenDomains.inBatches(DomainId.DOM0, 1 << 15, 256, this::fake);
        assertEquals(IDS, ids(all));
        assertEquals(3, calls.size(), "603 domains: 256 + 256 + a short batch of 91");
        assertTrue(calls.stream().allMatch(c -> c[1] <= 256), "no call asks for more than a batch");
        assertEquals(IDS.get(256), calls.get(1)[0], "the second batch starts right after the first one's last id");
    }

    @Test void maxAndFirstAreHonouredAcrossBatches() {
        assertEquals(IDS.subList(2, 302), ids(XenDomains.inBatches(DomainId.of(2), 300, 256, this::fake)));
        assertEquals(List.of(5), ids(XenDomains.inBatches(DomainId.of(2), 1, 256, this::fake)));
        assertEquals(List.of(), ids(XenDomains.inBatches(DomainId.of(900), 10, 256, this::fake)));
    }

    @Test void anExactMultipleOfTheBatchEndsWithAnEmptyCall() {
        List<DomainInfo> got = XenDomains.inBatches(DomainId.of(300), 1 << 15, 200, this::fake);
        assertEquals(IDS.subList(3, IDS.size()), ids(got));
        assertEquals(4, calls.size(), "600 = 3 full batches, then one empty answer ends the walk");
    }

    @Test void zeroMaxMakesNoCall() {
        assertEquals(List.of(), XenDomains.inBatches(DomainId.DOM0, 0, 256, this::fake));
        assertEquals(0, calls.size());
    }
}
