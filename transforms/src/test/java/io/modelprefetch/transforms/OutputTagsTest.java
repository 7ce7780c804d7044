package io.modelprefetch.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modelprefetch.transforms.model.FetchSettings;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.jupiter.api.Test;

/** Each transform names its outputs, and no two outputs of the graph share a name. */
class OutputTagsTest {

  @Test
  void everyOutputHasItsOwnName() {
    FetchSettings settings = FetchSettings.defaults();
    ExpandListings expand = ExpandListings.with(settings);
    ExpandListings.Listed listed = ExpandListings.listed(settings, List.of());
    PlanRanges plan = PlanRanges.with(settings);
    FetchRanges fetch = FetchRanges.with(settings);
    List<TupleTag<?>> tags =
        List.of(
            expand.objects(),
            expand.results(),
            plan.ranges(),
            plan.results(),
            fetch.fetched(),
            fetch.committed());

    Set<String> ids = tags.stream().map(TupleTag::getId).collect(Collectors.toSet());

    assertEquals(
        Set.of(
            "ExpandListings.objects",
            "ExpandListings.results",
            "PlanRanges.ranges",
            "PlanRanges.results",
            "FetchRanges.fetched",
            "FetchRanges.committed"),
        ids);
    assertEquals(
        expand.objects().getId(),
        listed.objects().getId()); // the same listing, made before the run or in it
  }
}
