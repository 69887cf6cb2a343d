console.log("stockade");
