// Material 9.8.2 partials/javascripts/palette.html, as a file so that the page policy needs no inline script.
