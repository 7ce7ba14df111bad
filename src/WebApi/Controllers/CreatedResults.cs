using Microsoft.AspNetCore.Mvc;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Controllers;

public static class CreatedResults
{
    /// <summary>
    /// 201 with <c>Location</c>: the collection the request posted to, plus the new resource's id, as an absolute URL
    /// from the public base URL (<see cref="PublicUrls"/>), never from a client's <c>Host</c> header.
    /// </summary>
    public static CreatedResult CreatedAt(this ControllerBase controller, string id, object body)
    {
        var context = controller.HttpContext;
        var urls = context.RequestServices.GetRequiredService<PublicUrls>();
        var collection = context.Request.Path.Value!.TrimEnd('/');
        return new CreatedResult($"{urls.BaseUrl(context)}{collection}/{Uri.EscapeDataString(id)}", body);
    }
}
