using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.UnitTests.Domain;

public sealed class KeyLifetimeTests
{
    [Theory]
    [InlineData("2026-12-02T00:00:00Z")] // two leap days in the ten years ahead
    [InlineData("2029-03-01T00:00:00Z")] // two (2032, 2036): 3,653 days was ten years and a day
    [InlineData("2027-03-01T00:00:00Z")] // three (2028, 2032, 2036)
    public void TenYearsAhead_IsTenCalendarYears_NotAFixedNumberOfDays(string at)
    {
        var now = DateTimeOffset.Parse(at);
        Assert.Equal(now.AddYears(10), KeyLifetime.Check(now.AddYears(10), now));
        Assert.Equal("expiresAt", Assert.Throws<DomainRuleException>(() => KeyLifetime.Check(now.AddYears(10).AddSeconds(1), now)).Field);
        Assert.Equal("expiresAt", Assert.Throws<DomainRuleException>(() => KeyLifetime.Check(now, now)).Field);
    }
}
