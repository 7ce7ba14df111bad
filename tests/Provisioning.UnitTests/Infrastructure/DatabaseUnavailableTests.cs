using System.Net.Sockets;
using Npgsql;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class DatabaseUnavailableTests
{
    [Fact]
    public void ALostConnection_AnywhereInTheChain_IsUnavailable()
    {
        Assert.True(DatabaseUnavailable.Is(new InvalidOperationException("transient", new NpgsqlException("write", new SocketException(104)))));
        Assert.True(DatabaseUnavailable.Is(new TimeoutException()));
    }

    [Fact]
    public void ANullReferenceThrownInsideNpgsql_IsUnavailable_ButOneThrownElsewhereIsAFault()
    {
        // Npgsql's defect with a connection broken under an auto-prepared statement (see DatabaseUnavailable).
        Assert.True(DatabaseUnavailable.Is(new NullReferenceException { Source = "Npgsql" }));
        Assert.False(DatabaseUnavailable.Is(new NullReferenceException { Source = "Provisioning.Application" }));
        Assert.False(DatabaseUnavailable.Is(new NullReferenceException()));
    }

    [Fact]
    public void OtherFaults_AreNot()
    {
        Assert.False(DatabaseUnavailable.Is(new InvalidOperationException("a bug")));
        Assert.False(DatabaseUnavailable.Is(null));
    }
}
