using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.UnitTests.Domain;

public sealed class TenantUserTests
{
    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void TheLocalPart_IsAtMost64Octets(int length, bool valid)
    {
        var address = new string('a', length) + "@example.com";
        if (valid)
        {
            Assert.Equal(address, TenantUser.NormalizeEmail(address));
        }
        else
        {
            Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail(address));
        }

        // Octets, not characters: 32 two-byte letters are 64 octets, 33 are 66.
        Assert.Equal(new string('\u00e9', 32) + "@example.com", TenantUser.NormalizeEmail(new string('\u00e9', 32) + "@example.com"));
        Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail(new string('\u00e9', 33) + "@example.com"));
    }
}
