using System.Text;
using Microsoft.Extensions.Configuration;

namespace Provisioning.UnitTests.WebApi;

/// <summary>Settings as a settings file gives them: JSON's null, empty objects and lists as the JSON provider reads them.</summary>
internal static class JsonSettings
{
    public static IConfiguration Of(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
}
