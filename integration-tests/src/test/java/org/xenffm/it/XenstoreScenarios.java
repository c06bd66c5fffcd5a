// SPDX-License-Identifier: Apache-2.0
package org.xenffm.it;

import java.util.ArrayList;
import java.util.List;
import org.xenffm.api.DomainId;
import org.xenffm.api.Xenstore;
import org.xenffm.vmi.DomainNames;

/**
 * Issue 17's domain names: a puppet created by {@code xl create name="..."} is found by that name through xenstore
 * (libxenstore over FFM on real Xen, the emulator's tree otherwise), as libxl_name_to_domid finds it.
 */
final class XenstoreScenarios {
    private XenstoreScenarios() {}

    static final String NAME = "s39web";

    static List<Scenario> all() {
        List<Scenario> l = new ArrayList<>();
        l.add(new Scenario("s39-domain-by-xl-name", "vmi", "a puppet is found by its xl name through xenstore; unknown names are ENOENT; xl refuses a taken name; of two domains with one name the lower id wins", c -> {
            DomainId d = c.guest(NAME, 1).domain();
            Xenstore xs = c.xenstore();
            DomainNames names = new DomainNames(c.hv, xs);
            c.rec.expectValue("find(xl name) is the puppet", true, names.find(NAME).equals(d));
            c.rec.expectValue("name(puppet)", NAME, names.name(d).orElse("(none)"));
            c.rec.expectValue("name(dom0)", "Domain-0", names.name(DomainId.of(0)).orElse("(none)"));
            c.rec.expectValue("/local/domain lists the puppet", true,
                    xs.directory("/local/domain").contains(Integer.toString(d.value())));
            c.rec.expect("find unknown name", "ENOENT", () -> names.find(NAME + "x"));
            boolean refused;
            try {
                c.guest(NAME, 1);   // xl create with a name in use
                refused = false;
            } catch (RuntimeException e) {   // xl fails (libxl__domain_rename); the emulator says EINVAL
                refused = true;
            }
            c.rec.expectValue("second xl create with the same name refused", true, refused);
            c.rec.expectValue("the name still finds the first puppet", true, names.find(NAME).equals(d));
            // two domains with one name cannot come from xl, but from a direct write: the lowest id (dom0) wins
            String path = "/local/domain/" + d.value() + "/name";
            c.rec.expectRun("xs_write puppet name := Domain-0", "ok", () -> xs.write(path, "Domain-0"));
            try {
                c.rec.expectValue("find(Domain-0) with two such domains", 0, names.find("Domain-0").value());
            } finally {
                xs.write(path, NAME);   // xl destroy finds the puppet by its name again
            }
        }));
        return l;
    }
}
