package io.modelprefetch.runners;

import io.modelprefetch.transforms.model.FileResult;
import io.modelprefetch.transforms.text.Printable;
import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code --dry-run}: prints what a run would fetch, per model and object, and the totals. Lists the
 * store and reads the destination; fetches and writes nothing (no lock, no temporary file, no
 * marker, no report).
 */
final class DryRun {

  private DryRun() {}

  /**
   * Prints {@code plan} on {@code out}: a header per model ({@code name uri -> folder}), one line
   * per object ({@code fetch} or {@code present}, size in bytes, relative path), then the totals.
   * Listing failures go to {@code err}.
   *
   * @return {@link PrefetchRun#OK}, or {@link PrefetchRun#FAILED} when a listing failed, found
   *     nothing to fetch or refused a key, as a run would
   */
  static int print(ListingPlan plan, PrintStream out, PrintStream err) {
    for (ListingPlan.ModelPlan model : plan.models()) {
      out.println(
          Printable.escape(model.model().name())
              + " "
              + Printable.escape(model.model().uri())
              + " -> "
              + Printable.escape(model.model().modelDir()));
      // Keys are the store's to choose: escaped, so none can forge or disguise a line.
      for (ListingPlan.Entry entry : model.entries()) {
        out.println(
            String.format(
                Locale.ROOT,
                "  %-7s %12d  %s",
                entry.present() ? "present" : "fetch",
                entry.object().sizeBytes(),
                Printable.escape(entry.object().relativePath())));
      }
      for (FileResult refused : model.refused()) {
        out.println(
            String.format(
                Locale.ROOT,
                "  %-7s %12d  %s",
                "refused",
                refused.sizeBytes(),
                Printable.escape(String.valueOf(refused.relativePath()))));
        err.println(
            "FAILED "
                + Printable.escape(refused.uri())
                + ": "
                + Printable.oneLine(String.valueOf(refused.error())));
      }
      if (model.error() != null) {
        err.println(
            "FAILED "
                + Printable.escape(model.model().uri())
                + ": "
                + Printable.oneLine(model.error()));
      }
    }
    out.println(
        String.format(
            Locale.ROOT,
            "dry run: %d model(s), %d object(s), %d bytes (%s), %d bytes to fetch (%s); nothing was fetched or written",
            plan.models().size(),
            plan.objects(),
            plan.bytes(),
            PrefetchRun.bytes(plan.bytes()),
            plan.bytesToFetch(),
            PrefetchRun.bytes(plan.bytesToFetch())));
    return plan.ok() ? PrefetchRun.OK : PrefetchRun.FAILED;
  }
}
