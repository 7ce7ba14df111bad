using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// What a revocation notice revokes. The tenants' trigger names the tenant and keeps a "*" beside it for instances of
/// older builds during a rolling upgrade, which this build must not read as "everything".
/// </summary>
public sealed class RevocationNoticeTests
{
    [Fact]
    public void KeysAndTenants_AreReadApart_AndTheCompatibilityStar_IsIgnoredBesideATenant()
    {
        var notice = Revocation.Parse(",act_1,t:0195aa,*,act_1,t:0195bb,*");
        Assert.False(notice.Everything);
        Assert.Equal([new KeyId("act_1")], notice.Keys);
        Assert.Equal(["0195aa", "0195bb"], notice.Tenants);
    }

    [Theory]
    [InlineData("*")]
    [InlineData(",*")]
    [InlineData("act_1,*")]
    public void AStarWithoutATenant_StillMeansEverything(string payload) => Assert.True(Revocation.Parse(payload).Everything);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(",")]
    public void NothingNamed_RevokesNothing(string? payload) => Assert.True(Revocation.Parse(payload).IsEmpty);
}
