using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.UnitTests.Domain;

public sealed class IdsTests
{
    [Fact]
    public void NewId_Is24LowercaseHex()
    {
        var id = IdGenerator.NewId();
        Assert.Equal(24, id.Length);
        Assert.Matches("^[0-9a-f]{24}$", id);
        Assert.True(IdGenerator.IsValid(id));
    }

    [Fact]
    public void NewIds_SortInCreationOrder_EvenWithinOneMillisecond()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => IdGenerator.NewId()).ToList();
        Assert.Equal(ids.OrderBy(i => i, StringComparer.Ordinal), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        // Within a millisecond not by one: the next id of another tenant would tell how many were made between (a probe).
        var steps = ids.Zip(ids.Skip(1))
            .Where(p => p.First[..12] == p.Second[..12])
            .Select(p => Convert.ToUInt64(p.Second[12..], 16) - Convert.ToUInt64(p.First[12..], 16))
            .ToList();
        Assert.NotEmpty(steps);
        Assert.True(steps.Distinct().Count() > steps.Count / 2, $"{steps.Count} steps within a millisecond, {steps.Distinct().Count()} of them different");
    }

    [Fact]
    public void MadeAt_ReadsTheIdsTime_WithOrWithoutAKindPrefix_AndNothingFromWhatIsNotAnId()
    {
        var moment = DateTimeOffset.FromUnixTimeMilliseconds(1_796_000_000_123);
        var id = IdGenerator.LowestAt(moment);
        Assert.Equal(moment, IdGenerator.MadeAt(id));
        Assert.Equal(moment, IdGenerator.MadeAt("act_" + id));
        Assert.Null(IdGenerator.MadeAt("svc_ffffffffffff000000000000")); // past the year 9999: no time
        Assert.Null(IdGenerator.MadeAt("act_" + id[..23]));
        Assert.Null(IdGenerator.MadeAt("act_' OR '1'='1"));
        Assert.Null(IdGenerator.MadeAt(""));
    }

    [Fact]
    public void LowestAt_SortsAfterEveryIdMadeBefore_AndBeforeEveryIdMadeAfter()
    {
        var before = IdGenerator.NewId();
        Thread.Sleep(5);
        var moment = DateTimeOffset.UtcNow;
        Thread.Sleep(5);
        var after = IdGenerator.NewId();

        var lowest = IdGenerator.LowestAt(moment);

        Assert.True(IdGenerator.IsValid(lowest));
        Assert.True(string.CompareOrdinal(before, lowest) < 0);
        Assert.True(string.CompareOrdinal(lowest, after) < 0);
        Assert.Equal(new string('0', 24), IdGenerator.LowestAt(DateTimeOffset.UnixEpoch.AddDays(-1)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456")]
    [InlineData("0123456789abcdef012345678")]
    [InlineData("0123456789ABCDEF01234567")]
    [InlineData("0123456789abcdef0123456g")]
    [InlineData("' OR 1=1 --xxxxxxxxxxxxxx")]
    public void IsValid_RejectsAnythingElse(string? value) => Assert.False(IdGenerator.IsValid(value));

    [Theory]
    [InlineData("act_0123456789abcdef01234567", KeyKind.Account)]
    [InlineData("svc_0123456789abcdef01234567", KeyKind.ServiceAccount)]
    [InlineData("app_0123456789abcdef01234567", KeyKind.App)]
    public void KeyId_ParsesEachKind(string value, KeyKind kind)
    {
        Assert.True(KeyId.TryParse(value, out var id, out var parsed));
        Assert.Equal(kind, parsed);
        Assert.Equal(value, id.Value);
    }

    [Theory]
    [InlineData("prv_0123456789abcdef01234567")]
    [InlineData("act_0123456789abcdef0123456")]
    [InlineData("ACT_0123456789abcdef01234567")]
    [InlineData("act_0123456789abcdef0123456'")]
    [InlineData("0123456789abcdef01234567")]
    public void KeyId_RejectsOtherShapes(string value) => Assert.False(KeyId.TryParse(value, out _, out _));

    [Fact]
    public void NewKeyIds_CarryTheirKindsPrefix()
    {
        Assert.StartsWith("act_", KeyId.New(KeyKind.Account).Value);
        Assert.StartsWith("svc_", KeyId.New(KeyKind.ServiceAccount).Value);
        Assert.StartsWith("app_", KeyId.New(KeyKind.App).Value);
        Assert.True(KeyId.IsProvisioning(KeyId.NewProvisioning().Value));
    }
}
